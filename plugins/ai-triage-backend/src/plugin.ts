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
import Router from 'express-promise-router';
import { createTriagePipeline } from './pipeline/createTriagePipeline';
import { createRouter } from './service/router';
import { createQualityRouter } from './evaluation/qualityRouter';
import { createWebhookRouter } from './service/webhookRouter';
import { createOtlpRouter } from './telemetry/otlpRouter';
import { IncidentAccess } from './permissions/IncidentAccess';
import {
  incidentResourceRef,
  incidentRules,
} from './permissions/incidentOwnership';
import { aiTriagePipelineHealthServiceRef } from './observability/PipelineHealth';
import { observeIntake } from './observability/observeIntake';
import { registerIncidentActions } from './actions/registerIncidentActions';

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
        const { httpAuth, httpRouter, lifecycle, logger } = deps;
        // Optional: only when the notifications plugin runs in this backend.
        const notifications = (
          await deps.instanceMetadata.getInstalledPlugins()
        ).some(p => p.pluginId === 'notifications')
          ? deps.notifications
          : undefined;
        const pipeline = await createTriagePipeline(
          { ...deps, notifications },
          { reasoner: customReasoner, telemetryProviders: extraProviders },
        );
        const { config, incidents, triage, queue, catalog, workflow } =
          pipeline;

        const router = Router();
        router.use(
          '/webhooks',
          observeIntake(
            await createWebhookRouter({
              httpAuth,
              ingestor: pipeline.ingestor,
              maxBodyBytes: config.intake.limits.maxBodyBytes,
            }),
            pipeline.metrics,
          ),
        );
        router.use(
          '/otlp',
          await createOtlpRouter({
            store: pipeline.telemetry,
            httpAuth,
            logger,
            limits: config.otlp,
          }),
        );
        const access = IncidentAccess.create({
          permissions: deps.permissions,
          incidents,
          entityQuery: catalog,
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
            entities: catalog,
            entityQuery: catalog,
            workflow,
            access,
            faultGroups: pipeline.faultGroups,
          }),
        );
        router.use(
          await createQualityRouter({
            httpAuth,
            permissions: deps.permissions,
            store: pipeline.reviewQuality,
          }),
        );
        registerIncidentActions({
          ...deps,
          incidents,
          triage,
          entities: catalog,
          entityQuery: catalog,
          workflow,
          access,
        });
        // Worker-only processes (aiTriage.workers.stages without intake) serve no routes.
        if (config.workers.stages.includes('intake')) httpRouter.use(router);
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        lifecycle.addStartupHook(() => pipeline.start());
        lifecycle.addShutdownHook(() => pipeline.stop());
      },
    });
  },
});
