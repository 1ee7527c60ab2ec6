import { Config } from '@backstage/config';
import { RedactionOptions } from './enrichment/redact';
import { DEFAULT_INTAKE_LIMITS, IntakeLimits } from './ingest/IntakeLimits';
import {
  DEFAULT_ENTITY_CACHE_TTL,
  EntityCacheTtl,
} from './ingest/EntityResolver';

/** The plugin's configuration with every default applied. */
export type AiTriageConfig = {
  workers: {
    enabled: boolean;
    concurrency: number;
    leaseMs: number;
    maxAttempts: number;
  };
  correlation: { reopenWindowMs: number };
  grouping: { enabled: boolean; windowMs: number; waitMs: number };
  intake: { limits: IntakeLimits; catalogCache: EntityCacheTtl };
  enrichment: {
    lookbackMs: number;
    providerTimeoutMs: number;
    maxRecordsPerSignal: number;
    maxContextBytes: number;
    maxContextTokens: number;
    redaction: RedactionOptions;
    /** Hops the localization walk may go downstream of the alerted service. */
    localizationMaxDepth: number;
  };
  telemetry: { retentionMs: number };
};

const MINUTE = 60_000;

function nonNegativeInteger(value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(
      `aiTriage.enrichment.localization.maxDepth must be a whole number of at least 0, got ${value}`,
    );
  }
  return value;
}

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
  const nonNegative = (key: string, fallback: number) => {
    const value = config?.getOptionalNumber(key) ?? fallback;
    if (!(value >= 0)) {
      throw new Error(`aiTriage.${key} must be 0 or more, got ${value}`);
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
    grouping: {
      enabled: config?.getOptionalBoolean('grouping.enabled') ?? true,
      windowMs: positive('grouping.windowMinutes', 15) * MINUTE,
      waitMs: nonNegative('grouping.waitSeconds', 0) * 1000,
    },
    intake: {
      limits: {
        maxBodyBytes: Math.floor(
          positive('intake.maxBodyBytes', DEFAULT_INTAKE_LIMITS.maxBodyBytes),
        ),
        maxAlertsPerDelivery: Math.floor(
          positive(
            'intake.maxAlertsPerDelivery',
            DEFAULT_INTAKE_LIMITS.maxAlertsPerDelivery,
          ),
        ),
        maxLabelsPerAlert: Math.floor(
          positive(
            'intake.maxLabelsPerAlert',
            DEFAULT_INTAKE_LIMITS.maxLabelsPerAlert,
          ),
        ),
        maxLabelNameLength: Math.floor(
          positive(
            'intake.maxLabelNameLength',
            DEFAULT_INTAKE_LIMITS.maxLabelNameLength,
          ),
        ),
        maxLabelValueLength: Math.floor(
          positive(
            'intake.maxLabelValueLength',
            DEFAULT_INTAKE_LIMITS.maxLabelValueLength,
          ),
        ),
        maxAnnotationValueLength: Math.floor(
          positive(
            'intake.maxAnnotationValueLength',
            DEFAULT_INTAKE_LIMITS.maxAnnotationValueLength,
          ),
        ),
      },
      catalogCache: {
        foundMs:
          positive(
            'intake.catalogCacheSeconds',
            DEFAULT_ENTITY_CACHE_TTL.foundMs / 1000,
          ) * 1000,
        notFoundMs:
          positive(
            'intake.catalogMissCacheSeconds',
            DEFAULT_ENTITY_CACHE_TTL.notFoundMs / 1000,
          ) * 1000,
      },
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
      maxContextTokens: Math.floor(
        positive('enrichment.maxContextTokens', 12000),
      ),
      localizationMaxDepth: nonNegativeInteger(
        config?.getOptionalNumber('enrichment.localization.maxDepth') ?? 4,
      ),
      redaction: {
        emails:
          config?.getOptionalBoolean('enrichment.redaction.emails') ?? true,
        ipAddresses:
          config?.getOptionalBoolean('enrichment.redaction.ipAddresses') ??
          false,
        patterns: (
          config?.getOptionalConfigArray('enrichment.redaction.patterns') ?? []
        ).map(pattern => ({
          name: pattern.getString('name'),
          pattern: pattern.getString('pattern'),
        })),
      },
    },
    telemetry: {
      retentionMs: positive('telemetry.retentionHours', 24) * 60 * MINUTE,
    },
  };
}
