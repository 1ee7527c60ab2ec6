import {
  AuditorService,
  AuthService,
  DatabaseService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import { Reasoner, TelemetryProvider } from '@ai-triage/plugin-ai-triage-node';
import { metrics } from '@opentelemetry/api';
import { AiTriageConfig, readAiTriageConfig } from '../config';
import { EntityAnnotations } from '../catalog/CatalogEntityAnnotations';
import { EntityQuery } from '../catalog/CatalogEntityQuery';
import { EntityResolver } from '../catalog/EntityResolver';
import { TriageCatalog } from '../catalog/TriageCatalog';
import { DatabaseRetriageStore } from '../database/DatabaseRetriageStore';
import { watchTelemetryArrivals } from '../retriage/watchTelemetryArrivals';
import { DatabaseFaultGroupStore } from '../database/DatabaseFaultGroupStore';
import { DatabaseIncidentStore } from '../database/DatabaseIncidentStore';
import { DatabaseTriageStore } from '../database/DatabaseTriageStore';
import { applyDatabaseMigrations } from '../database/migrations';
import { pingDatabase } from '../database/pingDatabase';
import { tuneSqlite } from '../database/tuneSqlite';
import { ContextBuilder } from '../enrichment/ContextBuilder';
import { EnrichmentHandler } from '../enrichment/EnrichmentHandler';
import { ReviewQualityStore } from '../evaluation/ReviewQualityStore';
import { scheduleCalibration } from '../evaluation/calibration';
import { FaultGrouper } from '../grouping/FaultGrouper';
import { AlertIngestor } from '../ingest/AlertIngestor';
import { IncidentLinker } from '../ingest/IncidentLinker';
import { PipelineChecks } from '../observability/PipelineChecks';
import { PipelineHealth } from '../observability/PipelineHealth';
import {
  PipelineMetrics,
  reasonerKindOf,
} from '../observability/PipelineMetrics';
import {
  traceProvider,
  withContextMetrics,
} from '../observability/instrumentStages';
import { IncidentSignaller } from '../publishing/IncidentSignaller';
import { TriageResultPublisher } from '../publishing/TriageResultPublisher';
import { DatabaseJobQueue } from '../queue/DatabaseJobQueue';
import { JobType } from '../queue/JobQueue';
import { QueueMetrics } from '../queue/QueueMetrics';
import { JobHandler, WorkerPool } from '../queue/WorkerPool';
import { ReasoningHandler } from '../reasoning/ReasoningHandler';
import { readLlmConfig } from '../reasoning/llm/readLlmConfig';
import { selectReasoner } from '../reasoning/selectReasoner';
import { DatabaseRetention } from '../retention/DatabaseRetention';
import { DatabaseTelemetryStore } from '../telemetry/DatabaseTelemetryStore';
import { createTelemetryProviders } from '../telemetry/providers/createTelemetryProviders';
import { IncidentWorkflowService } from '../workflow/IncidentWorkflowService';
import { createIncidentWorkflow } from '../workflow/createIncidentWorkflow';
import { scheduleMaintenance } from './scheduleMaintenance';

/** What the pipeline reads of the catalog: one client (see {@link TriageCatalog}). */
export type PipelineCatalog = EntityResolver & EntityQuery & EntityAnnotations;

/** The services the pipeline is built from: Backstage's, as the plugin gets them. */
export type TriagePipelineServices = {
  /** The root config; the pipeline reads `aiTriage.*`. */
  config: Config;
  database: Pick<DatabaseService, 'getClient' | 'migrations'>;
  logger: LoggerService;
  events: EventsService;
  auditor: AuditorService;
  /** Catalog reads; not needed when `overrides.catalog` is given. */
  catalog?: CatalogService;
  auth?: AuthService;
  /** Runs the background tasks (retention, linking, calibration); without it (replays) none run. */
  scheduler?: SchedulerService;
  signals?: SignalsService;
  /** Absent when the notifications plugin is not installed. */
  notifications?: NotificationService;
  /** Where the readiness checks register; without it there are none. */
  health?: PipelineHealth;
};

/** Parts a test, a replay or an extension puts in place of the configured ones. */
export type TriagePipelineOverrides = {
  /** The catalog (tests and replays: a fixed example catalog). */
  catalog?: PipelineCatalog;
  /** The reasoner (the reasoner extension point's); the heuristic reasoner stays the fallback. */
  reasoner?: Reasoner;
  /** Telemetry providers besides the embedded store and the configured ones. */
  telemetryProviders?: TelemetryProvider[];
};

/** The assembled pipeline: its stores, stages and the parts the plugin's routes and actions use. */
export type TriagePipeline = {
  config: AiTriageConfig;
  queue: DatabaseJobQueue;
  incidents: DatabaseIncidentStore;
  triage: DatabaseTriageStore;
  telemetry: DatabaseTelemetryStore;
  faultGroups: DatabaseFaultGroupStore;
  reviewQuality: ReviewQualityStore;
  catalog: PipelineCatalog;
  /** The intake: normalizes, correlates and stores alert deliveries and queues their jobs. */
  ingestor: AlertIngestor;
  workflow: IncidentWorkflowService;
  metrics: PipelineMetrics;
  /** The queue stages by job type; absent when this process runs no workers. */
  handlers?: Record<JobType, JobHandler>;
  /** Starts the workers (when this process runs any). */
  start(): void;
  /** Stops the workers and unregisters the queue gauges. */
  stop(): Promise<void>;
};

/**
 * Builds the triage pipeline, the one place that does: intake → queue → enrichment →
 * reasoning → publishing, from `aiTriage.*` config and Backstage services. The plugin, the
 * tests, the benchmarks and the scenario replays all build it here (replays with `overrides`).
 * Migrates the database unless the database service says to skip migrations.
 */
export async function createTriagePipeline(
  services: TriagePipelineServices,
  overrides: TriagePipelineOverrides = {},
): Promise<TriagePipeline> {
  const { logger, scheduler } = services;
  const config = readAiTriageConfig(services.config);
  const knex = await services.database.getClient();
  await tuneSqlite(knex);
  if (!services.database.migrations?.skip) {
    await applyDatabaseMigrations(knex);
  }

  const { maxAttempts } = config.workers;
  const incidents = DatabaseIncidentStore.create({
    knex,
    maxAttempts,
    reopenWindowMs: config.correlation.reopenWindowMs,
    groupWaitMs: config.grouping.enabled ? config.grouping.waitMs : 0,
  });
  const queue = DatabaseJobQueue.create({
    knex,
    logger,
    // A job whose worker died on its last attempt fails its incident's triage, as onFailure
    // below does after a failed last attempt, so the portal shows it failed.
    onDeadLetter: async (job, tx, at) => {
      if (job.type !== 'deliver') {
        await incidents.setTriageState(job.incidentId, 'failed', tx, at);
      }
    },
  });
  const queueMetrics = QueueMetrics.register({
    queue,
    meter: metrics.getMeter('@ai-triage/plugin-ai-triage-backend'),
    logger,
  });
  const checks =
    services.health &&
    PipelineChecks.register({
      health: services.health,
      pingDatabase: () => pingDatabase(knex),
      queue,
    });
  const pipelineMetrics = PipelineMetrics.create({
    reasonerKind: reasonerKindOf({
      custom: Boolean(overrides.reasoner),
      llm: Boolean(readLlmConfig(services.config)),
    }),
    sloThresholdsSeconds: [
      config.slo.heuristicTriageSeconds,
      config.slo.llmTriageSeconds,
    ],
  });
  const faultGroups = DatabaseFaultGroupStore.create({ knex });
  const retriage = config.retriage.enabled
    ? DatabaseRetriageStore.create({ knex, maxAttempts, ...config.retriage })
    : undefined;
  const grouping = config.grouping.enabled
    ? FaultGrouper.create({
        store: faultGroups,
        incidents,
        retriage,
        windowMs: config.grouping.windowMs,
        logger: logger.child({ worker: 'grouping' }),
      })
    : undefined;
  const triage = DatabaseTriageStore.create({ knex, maxAttempts });
  const storedTelemetry = DatabaseTelemetryStore.create({ knex });
  // Telemetry that arrives after a triage which lacked it queues a re-triage (retriage/).
  const telemetry = retriage
    ? watchTelemetryArrivals(storedTelemetry, retriage, logger)
    : storedTelemetry;
  const catalog = overrides.catalog ?? createCatalog(services, config);
  const ingestor = AlertIngestor.create({
    incidents,
    queue,
    entities: catalog,
    limits: config.intake.limits,
    logger,
  });
  const signaller =
    services.signals &&
    IncidentSignaller.create({ signals: services.signals, logger });
  const { workflow, deliveryHandler } = createIncidentWorkflow({
    config: services.config,
    knex,
    incidents,
    triage,
    queue,
    entityQuery: catalog,
    events: services.events,
    auditor: services.auditor,
    logger,
    signaller,
    notifications: services.notifications,
  });
  if (scheduler) {
    await scheduleMaintenance({
      scheduler,
      logger,
      retention: DatabaseRetention.create({
        knex,
        policy: config.retention,
        logger,
      }),
      telemetry,
      telemetryRetentionMs: config.telemetry.retentionMs,
      linker: IncidentLinker.create({ incidents, entities: catalog, logger }),
    });
  }
  const parts = {
    config,
    queue,
    incidents,
    triage,
    telemetry,
    faultGroups,
    reviewQuality: new ReviewQualityStore(knex),
    catalog,
    ingestor,
    workflow,
    metrics: pipelineMetrics,
  };
  if (!config.workers.enabled) {
    logger.info(
      'AI triage workers are disabled on this replica (aiTriage.workers.enabled)',
    );
    return {
      ...parts,
      start() {},
      stop: async () => queueMetrics.unregister(),
    };
  }

  const calibration = await scheduleCalibration({
    scheduler,
    logger,
    knex,
    config: services.config,
  });
  const reasoners = selectReasoner({
    config: services.config,
    audit: triage,
    logger: logger.child({ worker: 'reasoning' }),
    custom: overrides.reasoner,
    wrap: reasoner => calibration.wrap(reasoner),
  });
  checks?.watchBreaker(reasoners.llm);
  const handlers = {
    enrich: EnrichmentHandler.create({
      incidents,
      triage: withContextMetrics(triage, pipelineMetrics),
      providers: [
        telemetry,
        ...createTelemetryProviders(services.config),
        ...(overrides.telemetryProviders ?? []),
      ].map(provider => traceProvider(provider, checks)),
      entityAnnotations: catalog,
      contextBuilder: ContextBuilder.create({
        maxBytes: config.enrichment.maxContextBytes,
        maxTokens: config.enrichment.maxContextTokens,
        redaction: config.enrichment.redaction,
      }),
      lookbackMs: config.enrichment.lookbackMs,
      providerTimeoutMs: config.enrichment.providerTimeoutMs,
      maxRecordsPerSignal: config.enrichment.maxRecordsPerSignal,
      localizationMaxDepth: config.enrichment.localizationMaxDepth,
      entities: catalog,
      logger: logger.child({ worker: 'enrichment' }),
      grouping,
      retriage,
      settleMs: config.retriage.settleMs,
    }),
    reason: ReasoningHandler.create({
      triage,
      reasoner: reasoners.reasoner,
      fallback: reasoners.fallback,
      logger: logger.child({ worker: 'reasoning' }),
      incidents,
      publisher: TriageResultPublisher.create({
        events: services.events,
        logger,
        signaller,
        notifications: services.notifications,
      }),
      grouping,
    }),
    deliver: deliveryHandler,
  };
  const workers = WorkerPool.create({
    queue,
    types: config.workers.jobTypes,
    concurrency: config.workers.concurrencyByType,
    metrics: pipelineMetrics,
    leaseMs: config.workers.leaseMs,
    logger: logger.child({ worker: 'ai-triage' }),
    handlers,
    onFailure: async job => {
      if (job.type !== 'deliver') {
        await incidents.setTriageState(job.incidentId, 'failed');
      }
    },
  });
  return {
    ...parts,
    handlers,
    start: () => workers.start(),
    stop: async () => {
      queueMetrics.unregister();
      await workers.stop();
    },
  };
}

function createCatalog(
  services: TriagePipelineServices,
  config: AiTriageConfig,
): TriageCatalog {
  if (!services.catalog || !services.auth) {
    throw new Error(
      'createTriagePipeline needs the catalog and auth services, or overrides.catalog',
    );
  }
  return TriageCatalog.create({
    catalog: services.catalog,
    auth: services.auth,
    ttl: config.intake.catalogCache,
  });
}
