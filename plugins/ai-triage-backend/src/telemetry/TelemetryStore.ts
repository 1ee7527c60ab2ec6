import {
  LogRecord,
  MetricPoint,
  SpanRecord,
} from '@ai-triage/plugin-ai-triage-node';

/** Records of any of the three signals, as one OTLP export delivers them. */
export type TelemetryBatch = {
  spans?: SpanRecord[];
  logs?: LogRecord[];
  metrics?: MetricPoint[];
};

/** The embedded telemetry store: what the OTLP receiver writes and retention trims. */
export interface TelemetryStore {
  /**
   * Stores a batch in one transaction. A span already stored (same trace and span id) is
   * skipped, so an exporter's retry changes nothing; `accepted` counts it all the same.
   */
  ingest(batch: TelemetryBatch): Promise<{ accepted: number }>;

  /** Deletes every record older than the cutoff; returns how many went. */
  purgeOlderThan(cutoffMs: number): Promise<number>;
}
