import { Config } from '@backstage/config';
import { JobType } from './database/JobQueue';
import { RedactionOptions } from './enrichment/redact';
import { DEFAULT_INTAKE_LIMITS, IntakeLimits } from './ingest/IntakeLimits';
import { DEFAULT_OTLP_LIMITS, OtlpLimits } from './telemetry/otlp';
import {
  DEFAULT_RETENTION_POLICY,
  RetentionPolicy,
} from './retention/DatabaseRetention';
import {
  DEFAULT_ENTITY_CACHE_TTL,
  EntityCacheTtl,
} from './ingest/EntityResolver';

/** The plugin's configuration with every default applied. */
export type AiTriageConfig = {
  workers: {
    /** Whether this process runs any queue stage (enrich or reason). */
    enabled: boolean;
    /** The pipeline stages this process runs. */
    stages: PipelineStage[];
    /** The job types this process claims: its stages other than intake. */
    jobTypes: JobType[];
    concurrency: number;
    /** Jobs of each type this process runs at once (each type has its own loops). */
    concurrencyByType: Record<JobType, number>;
    leaseMs: number;
    maxAttempts: number;
  };
  slo: SloConfig;
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
  otlp: OtlpLimits;
  retention: RetentionPolicy;
};

const MINUTE = 60_000;

/**
 * The stages a process can run: intake (all HTTP routes), the two triage queue stages, and
 * deliver (outbound webhooks and ticket comments, `aiTriage.outbound`).
 */
export const PIPELINE_STAGES = [
  'intake',
  'enrich',
  'reason',
  'deliver',
] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

/** Service level objectives; the rule files in k8s/ use the same defaults. */
export type SloConfig = {
  /** Share of incidents triaged (hypotheses or abstention) within the threshold. */
  triageObjective: number;
  /** Threshold when the heuristic reasoner answers, in seconds. */
  heuristicTriageSeconds: number;
  /** Threshold when an LLM answers, in seconds. */
  llmTriageSeconds: number;
  /** Share of webhook deliveries answered without a server error. */
  intakeAvailability: number;
};

export const DEFAULT_SLO: SloConfig = {
  triageObjective: 0.99,
  heuristicTriageSeconds: 30,
  llmTriageSeconds: 120,
  intakeAvailability: 0.999,
};

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
  const days = (key: string, fallbackMs: number) =>
    positive(key, fallbackMs / 86_400_000) * 86_400_000;
  const nonNegative = (key: string, fallback: number) => {
    const value = config?.getOptionalNumber(key) ?? fallback;
    if (!(value >= 0)) {
      throw new Error(`aiTriage.${key} must be 0 or more, got ${value}`);
    }
    return value;
  };
  return {
    workers: readWorkers(config, positive),
    slo: {
      triageObjective: fraction(config, 'slo.triageObjective'),
      heuristicTriageSeconds: positive(
        'slo.heuristicTriageSeconds',
        DEFAULT_SLO.heuristicTriageSeconds,
      ),
      llmTriageSeconds: positive(
        'slo.llmTriageSeconds',
        DEFAULT_SLO.llmTriageSeconds,
      ),
      intakeAvailability: fraction(config, 'slo.intakeAvailability'),
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
        maxClockSkewMs:
          positive(
            'intake.maxClockSkewSeconds',
            DEFAULT_INTAKE_LIMITS.maxClockSkewMs / 1000,
          ) * 1000,
        maxTimestampAgeMs:
          positive(
            'intake.maxTimestampAgeDays',
            DEFAULT_INTAKE_LIMITS.maxTimestampAgeMs / 86_400_000,
          ) * 86_400_000,
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
    retention: {
      jobsMs: days('retention.jobsDays', DEFAULT_RETENTION_POLICY.jobsMs),
      deliveriesMs: days(
        'retention.deliveriesDays',
        DEFAULT_RETENTION_POLICY.deliveriesMs,
      ),
      llmCallsMs: days(
        'retention.llmCallsDays',
        DEFAULT_RETENTION_POLICY.llmCallsMs,
      ),
      contextDocumentsMs: days(
        'retention.contextDocumentsDays',
        DEFAULT_RETENTION_POLICY.contextDocumentsMs,
      ),
      incidentsMs: days(
        'retention.incidentsDays',
        DEFAULT_RETENTION_POLICY.incidentsMs,
      ),
      reviewedIncidentsMs: days(
        'retention.reviewedIncidentsDays',
        DEFAULT_RETENTION_POLICY.reviewedIncidentsMs,
      ),
      batchSize: Math.floor(
        positive('retention.batchSize', DEFAULT_RETENTION_POLICY.batchSize),
      ),
    },
    otlp: {
      maxDepth: Math.floor(
        positive('otlp.maxDepth', DEFAULT_OTLP_LIMITS.maxDepth),
      ),
      maxAttributes: Math.floor(
        positive('otlp.maxAttributes', DEFAULT_OTLP_LIMITS.maxAttributes),
      ),
      maxEntries: Math.floor(
        positive('otlp.maxEntries', DEFAULT_OTLP_LIMITS.maxEntries),
      ),
      maxStringLength: Math.floor(
        positive('otlp.maxStringLength', DEFAULT_OTLP_LIMITS.maxStringLength),
      ),
      maxClockSkewMs:
        positive(
          'otlp.maxClockSkewSeconds',
          DEFAULT_OTLP_LIMITS.maxClockSkewMs / 1000,
        ) * 1000,
      maxTimestampAgeMs:
        positive(
          'otlp.maxTimestampAgeDays',
          DEFAULT_OTLP_LIMITS.maxTimestampAgeMs / 86_400_000,
        ) * 86_400_000,
    },
  };
}

function readWorkers(
  config: Config | undefined,
  positive: (key: string, fallback: number) => number,
): AiTriageConfig['workers'] {
  const enabled = config?.getOptionalBoolean('workers.enabled') ?? true;
  const listed = config?.getOptionalStringArray('workers.stages');
  const unknown = listed?.filter(
    stage => !(PIPELINE_STAGES as readonly string[]).includes(stage),
  );
  if (unknown?.length) {
    throw new Error(
      `aiTriage.workers.stages names unknown stages ${unknown.join(
        ', ',
      )}; known are ${PIPELINE_STAGES.join(', ')}`,
    );
  }
  // workers.enabled false (the older switch) leaves intake only.
  const stages = (listed ?? [...PIPELINE_STAGES]).filter(
    stage => enabled || stage === 'intake',
  ) as PipelineStage[];
  const jobTypes = stages.filter(
    (stage): stage is JobType => stage !== 'intake',
  );
  const concurrency = Math.floor(positive('workers.concurrency', 2));
  return {
    enabled: jobTypes.length > 0,
    stages,
    jobTypes,
    concurrency,
    concurrencyByType: {
      enrich: Math.floor(positive('workers.enrich.concurrency', concurrency)),
      reason: Math.floor(positive('workers.reason.concurrency', concurrency)),
      deliver: Math.floor(positive('workers.deliver.concurrency', concurrency)),
    },
    leaseMs: positive('workers.leaseSeconds', 300) * 1000,
    maxAttempts: Math.floor(positive('workers.maxAttempts', 5)),
  };
}

function fraction(
  config: Config | undefined,
  key: 'slo.triageObjective' | 'slo.intakeAvailability',
): number {
  const value =
    config?.getOptionalNumber(key) ??
    DEFAULT_SLO[key.slice(4) as 'triageObjective' | 'intakeAvailability'];
  if (!(value > 0 && value < 1)) {
    throw new Error(`aiTriage.${key} must be between 0 and 1, got ${value}`);
  }
  return value;
}
