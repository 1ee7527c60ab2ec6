export interface Config {
  /** AI triage: alert intake, enrichment, reasoning and review. */
  aiTriage?: {
    workers?: {
      /**
       * Whether this replica claims jobs from the queue. Switch off on web-only replicas so web
       * and worker pods scale apart. Default true.
       */
      enabled?: boolean;
      /** Jobs one replica runs at once. Default 2. */
      concurrency?: number;
      /** How long a claimed job stays leased before another worker may take it. Default 5 minutes. */
      leaseSeconds?: number;
      /** Attempts before a job is dead. Default 5. */
      maxAttempts?: number;
    };
    correlation?: {
      /**
       * A firing alert whose incident was resolved less than this long ago reopens it; later it
       * opens a new incident. Default 60 minutes.
       */
      reopenWindowMinutes?: number;
    };
    enrichment?: {
      /** How far before the first alert enrichment looks. Default 15 minutes. */
      lookbackMinutes?: number;
      /** Per-provider timeout. Default 10 seconds. */
      providerTimeoutSeconds?: number;
      /** Records per signal read from a provider. Default 5000. */
      maxRecordsPerSignal?: number;
      /** Hard size budget of a context document, in bytes (at least 8192). Default 32768. */
      maxContextBytes?: number;
    };
    telemetry?: {
      /** How long the embedded OTLP store keeps telemetry. Default 24 hours. */
      retentionHours?: number;
    };
  };
}
