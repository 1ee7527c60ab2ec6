import { Config } from '@backstage/config';
import { z } from 'zod';
import {
  configBoolean,
  configString,
  fraction,
  nonNegativeNumber,
  positiveNumber,
  readConfigSection,
  wholeNumber,
} from './configSection';
import { JobType } from './queue/JobQueue';
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
} from './catalog/EntityResolver';

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
  /** Automatic re-triage when evidence a context lacked arrives, or its fault group changes. */
  retriage: {
    enabled: boolean;
    debounceMs: number;
    maxPerIncident: number;
    settleMs: number;
  };
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
 * How long an automatic re-triage waits for more evidence: two export rounds of the
 * OpenTelemetry SDKs' batch span processor (every 5 s by default, OTEL_BSP_SCHEDULE_DELAY), so
 * every service of a trace has exported its spans of the same seconds at least once.
 */
export const DEFAULT_RETRIAGE_DEBOUNCE_S = 10;
/**
 * Automatic re-triages per incident: one per signal a context can lack (spans, metrics, logs
 * arrive on separate exporters and schedules). Each costs one reasoner call (an LLM's, when
 * configured): the bound is a cost cap, not a measured optimum.
 */
export const DEFAULT_RETRIAGE_MAX_PER_INCIDENT = 3;
/**
 * How long after the onset an incident window counts as settled: a triage of a shorter window
 * waits for the alerted service's telemetry from then on. One export interval of the SDKs'
 * periodic metric reader (60 s by default, OTEL_METRIC_EXPORT_INTERVAL): the settled window
 * holds a metric export from after the onset, and twelve rounds of the span processor's.
 */
export const DEFAULT_RETRIAGE_SETTLE_S = 60;

/**
 * The stages a process can run: intake (all HTTP routes), the two triage queue stages, and
 * deliver (outbound webhooks and ticket comments, `aiTriage.outbound`).
 */
const PIPELINE_STAGES = ['intake', 'enrich', 'reason', 'deliver'] as const;
type PipelineStage = (typeof PIPELINE_STAGES)[number];

/** Service level objectives; the rule files in k8s/ use the same defaults. */
type SloConfig = {
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

const DAY_MS = 86_400_000;

/*
 * The sections of `aiTriage:` this file reads, one schema each, in the units config.d.ts
 * documents (minutes, seconds, days) with its defaults. Counts are floored, as before.
 */

const concurrencyOf = z.object({ concurrency: positiveNumber.optional() });

const workersSchema = z.object({
  enabled: configBoolean.default(true),
  stages: z.array(z.enum(PIPELINE_STAGES)).optional(),
  concurrency: positiveNumber.default(2),
  enrich: concurrencyOf.prefault({}),
  reason: concurrencyOf.prefault({}),
  deliver: concurrencyOf.prefault({}),
  leaseSeconds: positiveNumber.default(300),
  maxAttempts: positiveNumber.default(5),
});

const sloSchema = z.object({
  triageObjective: fraction.default(DEFAULT_SLO.triageObjective),
  heuristicTriageSeconds: positiveNumber.default(
    DEFAULT_SLO.heuristicTriageSeconds,
  ),
  llmTriageSeconds: positiveNumber.default(DEFAULT_SLO.llmTriageSeconds),
  intakeAvailability: fraction.default(DEFAULT_SLO.intakeAvailability),
});

const correlationSchema = z.object({
  reopenWindowMinutes: positiveNumber.default(60),
});

const groupingSchema = z.object({
  enabled: configBoolean.default(true),
  windowMinutes: positiveNumber.default(15),
  waitSeconds: nonNegativeNumber.default(0),
});

const retriageSchema = z.object({
  enabled: configBoolean.default(true),
  debounceSeconds: nonNegativeNumber.default(DEFAULT_RETRIAGE_DEBOUNCE_S),
  maxPerIncident: wholeNumber(0).default(DEFAULT_RETRIAGE_MAX_PER_INCIDENT),
  settleSeconds: nonNegativeNumber.default(DEFAULT_RETRIAGE_SETTLE_S),
});

const intakeSchema = z.object({
  maxBodyBytes: positiveNumber.default(DEFAULT_INTAKE_LIMITS.maxBodyBytes),
  maxAlertsPerDelivery: positiveNumber.default(
    DEFAULT_INTAKE_LIMITS.maxAlertsPerDelivery,
  ),
  maxLabelsPerAlert: positiveNumber.default(
    DEFAULT_INTAKE_LIMITS.maxLabelsPerAlert,
  ),
  maxLabelNameLength: positiveNumber.default(
    DEFAULT_INTAKE_LIMITS.maxLabelNameLength,
  ),
  maxLabelValueLength: positiveNumber.default(
    DEFAULT_INTAKE_LIMITS.maxLabelValueLength,
  ),
  maxAnnotationValueLength: positiveNumber.default(
    DEFAULT_INTAKE_LIMITS.maxAnnotationValueLength,
  ),
  maxClockSkewSeconds: positiveNumber.default(
    DEFAULT_INTAKE_LIMITS.maxClockSkewMs / 1000,
  ),
  maxTimestampAgeDays: positiveNumber.default(
    DEFAULT_INTAKE_LIMITS.maxTimestampAgeMs / DAY_MS,
  ),
  catalogCacheSeconds: positiveNumber.default(
    DEFAULT_ENTITY_CACHE_TTL.foundMs / 1000,
  ),
  catalogMissCacheSeconds: positiveNumber.default(
    DEFAULT_ENTITY_CACHE_TTL.notFoundMs / 1000,
  ),
});

const enrichmentSchema = z.object({
  lookbackMinutes: positiveNumber.default(15),
  providerTimeoutSeconds: positiveNumber.default(10),
  maxRecordsPerSignal: positiveNumber.default(5000),
  maxContextBytes: positiveNumber.default(32768),
  maxContextTokens: positiveNumber.default(12000),
  redaction: z
    .object({
      emails: configBoolean.default(true),
      ipAddresses: configBoolean.default(false),
      patterns: z
        .array(z.object({ name: configString, pattern: configString }))
        .default([]),
    })
    .prefault({}),
  localization: z.object({ maxDepth: wholeNumber(0).default(4) }).prefault({}),
});

const telemetrySchema = z.object({
  retentionHours: positiveNumber.default(24),
});

const retentionSchema = z.object({
  jobsDays: positiveNumber.default(DEFAULT_RETENTION_POLICY.jobsMs / DAY_MS),
  deliveriesDays: positiveNumber.default(
    DEFAULT_RETENTION_POLICY.deliveriesMs / DAY_MS,
  ),
  llmCallsDays: positiveNumber.default(
    DEFAULT_RETENTION_POLICY.llmCallsMs / DAY_MS,
  ),
  contextDocumentsDays: positiveNumber.default(
    DEFAULT_RETENTION_POLICY.contextDocumentsMs / DAY_MS,
  ),
  incidentsDays: positiveNumber.default(
    DEFAULT_RETENTION_POLICY.incidentsMs / DAY_MS,
  ),
  reviewedIncidentsDays: positiveNumber.default(
    DEFAULT_RETENTION_POLICY.reviewedIncidentsMs / DAY_MS,
  ),
  batchSize: positiveNumber.default(DEFAULT_RETENTION_POLICY.batchSize),
});

const otlpSchema = z.object({
  maxDepth: positiveNumber.default(DEFAULT_OTLP_LIMITS.maxDepth),
  maxAttributes: positiveNumber.default(DEFAULT_OTLP_LIMITS.maxAttributes),
  maxEntries: positiveNumber.default(DEFAULT_OTLP_LIMITS.maxEntries),
  maxStringLength: positiveNumber.default(DEFAULT_OTLP_LIMITS.maxStringLength),
  maxClockSkewSeconds: positiveNumber.default(
    DEFAULT_OTLP_LIMITS.maxClockSkewMs / 1000,
  ),
  maxTimestampAgeDays: positiveNumber.default(
    DEFAULT_OTLP_LIMITS.maxTimestampAgeMs / DAY_MS,
  ),
});

/** The sections above; the others (reasoning, outbound, permissions, telemetry.providers) are read by their own readers. */
const aiTriageSchema = z.object({
  workers: workersSchema.prefault({}),
  slo: sloSchema.prefault({}),
  correlation: correlationSchema.prefault({}),
  grouping: groupingSchema.prefault({}),
  retriage: retriageSchema.prefault({}),
  intake: intakeSchema.prefault({}),
  enrichment: enrichmentSchema.prefault({}),
  telemetry: telemetrySchema.prefault({}),
  retention: retentionSchema.prefault({}),
  otlp: otlpSchema.prefault({}),
});

/** Reads `aiTriage:` from app-config, applying defaults (see config.d.ts). */
export function readAiTriageConfig(rootConfig: Config): AiTriageConfig {
  const c = readConfigSection(rootConfig, 'aiTriage', aiTriageSchema);
  const { intake, enrichment, retention, otlp } = c;
  return {
    workers: toWorkers(c.workers),
    slo: c.slo,
    correlation: { reopenWindowMs: c.correlation.reopenWindowMinutes * MINUTE },
    grouping: {
      enabled: c.grouping.enabled,
      windowMs: c.grouping.windowMinutes * MINUTE,
      waitMs: c.grouping.waitSeconds * 1000,
    },
    retriage: {
      enabled: c.retriage.enabled,
      debounceMs: c.retriage.debounceSeconds * 1000,
      maxPerIncident: c.retriage.maxPerIncident,
      settleMs: c.retriage.settleSeconds * 1000,
    },
    intake: {
      limits: {
        maxBodyBytes: Math.floor(intake.maxBodyBytes),
        maxAlertsPerDelivery: Math.floor(intake.maxAlertsPerDelivery),
        maxLabelsPerAlert: Math.floor(intake.maxLabelsPerAlert),
        maxLabelNameLength: Math.floor(intake.maxLabelNameLength),
        maxLabelValueLength: Math.floor(intake.maxLabelValueLength),
        maxAnnotationValueLength: Math.floor(intake.maxAnnotationValueLength),
        maxClockSkewMs: intake.maxClockSkewSeconds * 1000,
        maxTimestampAgeMs: intake.maxTimestampAgeDays * DAY_MS,
      },
      catalogCache: {
        foundMs: intake.catalogCacheSeconds * 1000,
        notFoundMs: intake.catalogMissCacheSeconds * 1000,
      },
    },
    enrichment: {
      lookbackMs: enrichment.lookbackMinutes * MINUTE,
      providerTimeoutMs: enrichment.providerTimeoutSeconds * 1000,
      maxRecordsPerSignal: Math.floor(enrichment.maxRecordsPerSignal),
      maxContextBytes: Math.floor(enrichment.maxContextBytes),
      maxContextTokens: Math.floor(enrichment.maxContextTokens),
      localizationMaxDepth: enrichment.localization.maxDepth,
      redaction: enrichment.redaction,
    },
    telemetry: { retentionMs: c.telemetry.retentionHours * 60 * MINUTE },
    retention: {
      jobsMs: retention.jobsDays * DAY_MS,
      deliveriesMs: retention.deliveriesDays * DAY_MS,
      llmCallsMs: retention.llmCallsDays * DAY_MS,
      contextDocumentsMs: retention.contextDocumentsDays * DAY_MS,
      incidentsMs: retention.incidentsDays * DAY_MS,
      reviewedIncidentsMs: retention.reviewedIncidentsDays * DAY_MS,
      batchSize: Math.floor(retention.batchSize),
    },
    otlp: {
      maxDepth: Math.floor(otlp.maxDepth),
      maxAttributes: Math.floor(otlp.maxAttributes),
      maxEntries: Math.floor(otlp.maxEntries),
      maxStringLength: Math.floor(otlp.maxStringLength),
      maxClockSkewMs: otlp.maxClockSkewSeconds * 1000,
      maxTimestampAgeMs: otlp.maxTimestampAgeDays * DAY_MS,
    },
  };
}

function toWorkers(
  workers: z.output<typeof workersSchema>,
): AiTriageConfig['workers'] {
  // workers.enabled false (the older switch) leaves intake only.
  const stages = (workers.stages ?? [...PIPELINE_STAGES]).filter(
    stage => workers.enabled || stage === 'intake',
  );
  const jobTypes = stages.filter(
    (stage): stage is JobType => stage !== 'intake',
  );
  const concurrency = Math.floor(workers.concurrency);
  const of = (stage: { concurrency?: number }) =>
    Math.floor(stage.concurrency ?? concurrency);
  return {
    enabled: jobTypes.length > 0,
    stages,
    jobTypes,
    concurrency,
    concurrencyByType: {
      enrich: of(workers.enrich),
      reason: of(workers.reason),
      deliver: of(workers.deliver),
    },
    leaseMs: workers.leaseSeconds * 1000,
    maxAttempts: Math.floor(workers.maxAttempts),
  };
}
