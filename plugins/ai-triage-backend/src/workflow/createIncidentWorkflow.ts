import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { EventsService } from '@backstage/plugin-events-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { Knex } from 'knex';
import { IncidentStore } from '../database/IncidentStore';
import { JobQueue } from '../queue/JobQueue';
import { TriageStore } from '../database/TriageStore';
import { OutboundDeliveryHandler } from '../outbound/OutboundDeliveryHandler';
import { OutboundPlanner } from '../outbound/OutboundPlanner';
import { readOutboundConfig } from '../outbound/readOutboundConfig';
import { EntityQuery } from '../catalog/CatalogEntityQuery';
import { IncidentSignaller } from '../publishing/IncidentSignaller';
import { DatabaseWorkflowStore } from './DatabaseWorkflowStore';
import { IncidentWorkflowService } from './IncidentWorkflowService';
import { StatusChangeNotifier } from './StatusChangeNotifier';

/**
 * Builds the incident workflow from config (`aiTriage.outbound`): the service the API and the
 * actions use, and the handler that runs its `deliver` jobs.
 */
export function createIncidentWorkflow(options: {
  config: Config;
  knex: Knex;
  incidents: IncidentStore;
  triage: TriageStore;
  queue: JobQueue;
  entityQuery: EntityQuery;
  events: EventsService;
  auditor: AuditorService;
  logger: LoggerService;
  signaller?: IncidentSignaller;
  /** Absent when the notifications plugin is not installed. */
  notifications?: NotificationService;
}): {
  workflow: IncidentWorkflowService;
  deliveryHandler: OutboundDeliveryHandler;
} {
  const outbound = readOutboundConfig(options.config);
  const logger = options.logger.child({ component: 'workflow' });
  return {
    workflow: IncidentWorkflowService.create({
      ...options,
      logger,
      store: DatabaseWorkflowStore.create({ knex: options.knex }),
      ownerNotifier: options.notifications
        ? StatusChangeNotifier.create({
            notifications: options.notifications,
            logger,
          })
        : undefined,
      planner: OutboundPlanner.create({
        config: outbound,
        entityQuery: options.entityQuery,
        logger,
      }),
    }),
    deliveryHandler: OutboundDeliveryHandler.create({
      config: outbound,
      auditor: options.auditor,
      logger,
    }),
  };
}
