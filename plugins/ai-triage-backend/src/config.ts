import { Config } from '@backstage/config';

/** The plugin's configuration with every default applied. */
export type AiTriageConfig = {
  workers: {
    enabled: boolean;
    concurrency: number;
    leaseMs: number;
    maxAttempts: number;
  };
  correlation: { reopenWindowMs: number };
  enrichment: {
    lookbackMs: number;
    providerTimeoutMs: number;
    maxRecordsPerSignal: number;
    maxContextBytes: number;
  };
  telemetry: { retentionMs: number };
};

const MINUTE = 60_000;

/** Reads `aiTriage:` from app-config, applying defaults (see config.d.ts). */
export function readAiTriageConfig(rootConfig: Config): AiTriageConfig {
  const config = rootConfig.getOptionalConfig('aiTriage');
  const positive = (key: string, fallback: number) => {
    const value = config?.getOptionalNumber(key) ?? fallback;
    if (!(value > 0)) {
      throw new Error(
        `aiTriage.${key} must be a positive number, got ${value}`,
      );
    }
    return value;
  };
  return {
    workers: {
      enabled: config?.getOptionalBoolean('workers.enabled') ?? true,
      concurrency: Math.floor(positive('workers.concurrency', 2)),
      leaseMs: positive('workers.leaseSeconds', 300) * 1000,
      maxAttempts: Math.floor(positive('workers.maxAttempts', 5)),
    },
    correlation: {
      reopenWindowMs: positive('correlation.reopenWindowMinutes', 60) * MINUTE,
    },
    enrichment: {
      lookbackMs: positive('enrichment.lookbackMinutes', 15) * MINUTE,
      providerTimeoutMs:
        positive('enrichment.providerTimeoutSeconds', 10) * 1000,
      maxRecordsPerSignal: Math.floor(
        positive('enrichment.maxRecordsPerSignal', 5000),
      ),
      maxContextBytes: Math.floor(
        positive('enrichment.maxContextBytes', 32768),
      ),
    },
    telemetry: {
      retentionMs: positive('telemetry.retentionHours', 24) * 60 * MINUTE,
    },
  };
}
