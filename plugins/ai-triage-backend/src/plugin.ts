import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { aiTriagePermissions } from '@ai-triage/plugin-ai-triage-common';
import {
  Reasoner,
  TelemetryProvider,
  aiTriageReasonerExtensionPoint,
  aiTriageTelemetryProvidersExtensionPoint,
} from '@ai-triage/plugin-ai-triage-node';
import { metrics } from '@opentelemetry/api';
import Router from 'express-promise-router';
import { readAiTriageConfig } from './config';
import { applyDatabaseMigrations } from './database/migrations';
import { tuneSqlite } from './database/tuneSqlite';
import { DatabaseIncidentStore } from './database/DatabaseIncidentStore';
import { DatabaseFaultGroupStore } from './database/DatabaseFaultGroupStore';
import { DatabaseJobQueue } from './database/DatabaseJobQueue';
import { DatabaseRetriageStore } from './database/DatabaseRetriageStore';
import { watchTelemetryArrivals } from './retriage/watchTelemetryArrivals';
import { DatabaseTriageStore } from './database/DatabaseTriageStore';
import { ContextBuilder } from './enrichment/ContextBuilder';
import { EnrichmentHandler } from './enrichment/EnrichmentHandler';
import { FaultGrouper } from './grouping/FaultGrouper';
import { AlertIngestor } from './ingest/AlertIngestor';
import { CatalogEntityResolver } from './ingest/EntityResolver';
import { IncidentLinker } from './ingest/IncidentLinker';
import { HeuristicReasoner } from './reasoning/HeuristicReasoner';
import { ReasoningHandler } from './reasoning/ReasoningHandler';
import { TriageResultPublisher } from './reasoning/TriageResultPublisher';
import { OpenAIReasoner } from './reasoning/llm/OpenAIReasoner';
import {
  createOpenAIClient,
  readLlmConfig,
} from './reasoning/llm/readLlmConfig';
import { CatalogEntityQuery } from './service/CatalogEntityQuery';
import { IncidentSignaller } from './service/IncidentSignaller';
import { createRouter } from './service/router';
import { createQualityRouter } from './evaluation/qualityRouter';
import { ReviewQualityStore } from './evaluation/ReviewQualityStore';
import { scheduleCalibration } from './evaluation/calibration';
import { createWebhookRouter } from './service/webhookRouter';
import { CatalogEntityAnnotations } from './telemetry/CatalogEntityAnnotations';
import { DatabaseTelemetryStore } from './telemetry/DatabaseTelemetryStore';
import { createTelemetryProviders } from './telemetry/providers/createTelemetryProviders';
import { createOtlpRouter } from './telemetry/otlpRouter';
import { DatabaseRetention } from './retention/DatabaseRetention';
import { IncidentAccess } from './permissions/IncidentAccess';
import {
  incidentResourceRef,
  incidentRules,
} from './permissions/incidentOwnership';
import { QueueMetrics } from './workers/QueueMetrics';
import {
  PipelineMetrics,
  reasonerKindOf,
} from './observability/PipelineMetrics';
import { PipelineChecks } from './observability/PipelineChecks';
import { aiTriagePipelineHealthServiceRef } from './observability/PipelineHealth';
import { observeIntake } from './observability/observeIntake';
import {
  traceProvider,
  withContextMetrics,
} from './observability/instrumentStages';
import { WorkerPool } from './workers/WorkerPool';
import { registerIncidentActions } from './actions/registerIncidentActions';
import { createIncidentWorkflow } from './workflow/createIncidentWorkflow';

/**
 * The AI triage backend plugin: alert webhooks, the embedded OTLP receiver, the enrich and
 * reason workers, and the incident and review API, under `/api/ai-triage`.
 *
 * @public
 */
export const aiTriagePlugin = createBackendPlugin({
  pluginId: 'ai-triage',
  register(env) {
    const extraProviders: TelemetryProvider[] = [];
    let customReasoner: Reasoner | undefined;
    env.registerExtensionPoint(aiTriageTelemetryProvidersExtensionPoint, {
      addTelemetryProvider(provider) {
        extraProviders.push(provider);
      },
    });
    env.registerExtensionPoint(aiTriageReasonerExtensionPoint, {
      setReasoner(reasoner) {
        customReasoner = reasoner;
      },
    });

    env.registerInit({
      deps: {
        actionsRegistry: actionsRegistryServiceRef,
        auditor: coreServices.auditor,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        config: coreServices.rootConfig,
        database: coreServices.database,
        events: eventsServiceRef,
        health: aiTriagePipelineHealthServiceRef,
        instanceMetadata: coreServices.rootInstanceMetadata,
        notifications: notificationService,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        lifecycle: coreServices.lifecycle,
        logger: coreServices.logger,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        signals: signalsServiceRef,
      },
      async init(deps) {
        const {
          auth,
          catalog,
          database,
          httpAuth,
          httpRouter,
          lifecycle,
          logger,
        } = deps;
        const config = readAiTriageConfig(deps.config);
        const knex = await database.getClient();
        await tuneSqlite(knex);
        if (!database.migrations?.skip) {
          await applyDatabaseMigrations(knex);
        }
        const { maxAttempts } = config.workers;
        const queue = DatabaseJobQueue.create({ knex, logger });
        const queueMetrics = QueueMetrics.register({
          queue,
          meter: metrics.getMeter('@ai-triage/plugin-ai-triage-backend'),
          logger,
        });
        lifecycle.addShutdownHook(() => queueMetrics.unregister());
        const checks = PipelineChecks.register({
          health: deps.health,
          knex,
          queue,
        });
        const pipelineMetrics = PipelineMetrics.create({
          reasonerKind: reasonerKindOf({
            custom: Boolean(customReasoner),
            llm: Boolean(readLlmConfig(deps.config)),
          }),
          sloThresholdsSeconds: [
            config.slo.heuristicTriageSeconds,
            config.slo.llmTriageSeconds,
          ],
        });
        const incidents = DatabaseIncidentStore.create({
          knex,
          maxAttempts,
          reopenWindowMs: config.correlation.reopenWindowMs,
          groupWaitMs: config.grouping.enabled ? config.grouping.waitMs : 0,
        });
        const faultGroups = DatabaseFaultGroupStore.create({ knex });
        const retriage = config.retriage.enabled
          ? DatabaseRetriageStore.create({
              knex,
              maxAttempts,
              ...config.retriage,
            })
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
        const stored = DatabaseTelemetryStore.create({ knex });
        const telemetry = retriage
          ? watchTelemetryArrivals(stored, retriage, logger)
          : stored;
        const entities = CatalogEntityResolver.create({
          catalog,
          auth,
          ttl: config.intake.catalogCache,
        });
        const ingestor = AlertIngestor.create({
          incidents,
          queue,
          entities,
          limits: config.intake.limits,
          logger,
        });

        const router = Router();
        router.use(
          '/webhooks',
          observeIntake(
            await createWebhookRouter({
              httpAuth,
              ingestor,
              maxBodyBytes: config.intake.limits.maxBodyBytes,
            }),
            pipelineMetrics,
          ),
        );
        router.use(
          '/otlp',
          await createOtlpRouter({
            store: telemetry,
            httpAuth,
            logger,
            limits: config.otlp,
          }),
        );
        const signaller = IncidentSignaller.create({
          signals: deps.signals,
          logger,
        });
        const entityQuery = CatalogEntityQuery.create({ catalog, auth });
        // Optional: only when the notifications plugin runs in this backend.
        const notifications = (
          await deps.instanceMetadata.getInstalledPlugins()
        ).some(p => p.pluginId === 'notifications')
          ? deps.notifications
          : undefined;
        const { workflow, deliveryHandler } = createIncidentWorkflow({
          ...deps,
          knex,
          incidents,
          triage,
          queue,
          entityQuery,
          signaller,
          notifications,
        });
        const access = IncidentAccess.create({
          ...{ permissions: deps.permissions, incidents, catalog, auth },
          entityQuery,
        });
        deps.permissionsRegistry.addResourceType({
          resourceRef: incidentResourceRef,
          permissions: aiTriagePermissions,
          rules: Object.values(incidentRules),
          getResources: ids => access.loadResources(ids),
        });
        router.use(
          await createRouter({
            httpAuth,
            incidents,
            triage,
            queue,
            entities,
            entityQuery,
            workflow,
            access,
            faultGroups,
          }),
        );
        router.use(
          await createQualityRouter({
            httpAuth,
            permissions: deps.permissions,
            store: new ReviewQualityStore(knex),
          }),
        );
        registerIncidentActions({
          ...deps,
          incidents,
          triage,
          entities,
          entityQuery,
          workflow,
          access,
        });
        // Worker-only processes (aiTriage.workers.stages without intake) serve no routes.
        if (config.workers.stages.includes('intake')) httpRouter.use(router);
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });

        const retention = DatabaseRetention.create({
          knex,
          policy: config.retention,
          logger,
        });
        await deps.scheduler.scheduleTask({
          id: 'ai-triage-retention',
          frequency: { hours: 1 },
          timeout: { minutes: 15 },
          fn: async () => void (await retention.run()),
        });
        await deps.scheduler.scheduleTask({
          id: 'ai-triage-telemetry-retention',
          frequency: { minutes: 10 },
          timeout: { minutes: 5 },
          fn: async () => {
            const purged = await telemetry.purgeOlderThan(
              Date.now() - config.telemetry.retentionMs,
            );
            if (purged > 0) {
              logger.info(`Purged ${purged} telemetry records past retention`);
            }
          },
        });

        const linker = IncidentLinker.create({ incidents, entities, logger });
        await deps.scheduler.scheduleTask({
          id: 'ai-triage-link-incidents',
          frequency: { minutes: 1 },
          timeout: { minutes: 1 },
          fn: async () => {
            await linker.linkUnlinkedIncidents();
          },
        });

        if (!config.workers.enabled) {
          logger.info(
            'AI triage workers are disabled on this replica (aiTriage.workers.enabled)',
          );
          return;
        }
        const calibration = await scheduleCalibration({
          scheduler: deps.scheduler,
          logger,
          knex,
          config: deps.config,
        });
        const heuristic = calibration.wrap(new HeuristicReasoner());
        const llm = readLlmConfig(deps.config);
        const llmReasoner =
          llm &&
          OpenAIReasoner.create({
            client: createOpenAIClient(llm),
            settings: llm,
            audit: triage,
            logger: logger.child({ worker: 'reasoning' }),
          });
        checks.watchBreaker(llmReasoner || undefined);
        const publisher = TriageResultPublisher.create({
          events: deps.events,
          logger,
          signaller,
          notifications,
        });
        const workers = WorkerPool.create({
          queue,
          types: config.workers.jobTypes,
          concurrency: config.workers.concurrencyByType,
          metrics: pipelineMetrics,
          leaseMs: config.workers.leaseMs,
          logger: logger.child({ worker: 'ai-triage' }),
          handlers: {
            enrich: EnrichmentHandler.create({
              incidents,
              triage: withContextMetrics(triage, pipelineMetrics),
              providers: [
                telemetry,
                ...createTelemetryProviders(deps.config),
                ...extraProviders,
              ].map(provider => traceProvider(provider, checks)),
              entityAnnotations: CatalogEntityAnnotations.create({
                catalog,
                auth,
              }),
              contextBuilder: ContextBuilder.create({
                maxBytes: config.enrichment.maxContextBytes,
                maxTokens: config.enrichment.maxContextTokens,
                redaction: config.enrichment.redaction,
              }),
              lookbackMs: config.enrichment.lookbackMs,
              providerTimeoutMs: config.enrichment.providerTimeoutMs,
              maxRecordsPerSignal: config.enrichment.maxRecordsPerSignal,
              localizationMaxDepth: config.enrichment.localizationMaxDepth,
              entities,
              logger: logger.child({ worker: 'enrichment' }),
              grouping,
              retriage,
            }),
            reason: ReasoningHandler.create({
              triage,
              reasoner:
                customReasoner ??
                (llmReasoner ? calibration.wrap(llmReasoner) : heuristic),
              fallback: heuristic,
              logger: logger.child({ worker: 'reasoning' }),
              incidents,
              publisher,
              grouping,
            }),
            deliver: deliveryHandler,
          },
          onFailure: async job => {
            if (job.type !== 'deliver') {
              await incidents.setTriageState(job.incidentId, 'failed');
            }
          },
        });
        lifecycle.addStartupHook(() => workers.start());
        lifecycle.addShutdownHook(() => workers.stop());
      },
    });
  },
});
