import { createHash } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  WebhookAcceptedResponse,
  alertmanagerWebhookSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { fromZodError } from './fromZodError';
import { IncidentStore } from '../database/IncidentStore';
import { JobQueue } from '../database/JobQueue';
import { EntityResolver } from './EntityResolver';
import { normalizeAlertmanager } from './normalizeAlertmanager';
import { correlationKey } from './correlationKey';

/**
 * The intake stage: validates a sender's payload, normalizes it to canonical alerts, links each
 * to its catalog entity and stores the delivery (with its incidents and jobs) in one transaction.
 * A payload with any invalid part is rejected whole with an InputError, and nothing is stored.
 */
export class AlertIngestor {
  static create(options: {
    incidents: IncidentStore;
    queue: JobQueue;
    entities: EntityResolver;
    logger: LoggerService;
  }): AlertIngestor {
    return new AlertIngestor(
      options.incidents,
      options.queue,
      options.entities,
      options.logger,
    );
  }

  private constructor(
    private readonly incidents: IncidentStore,
    private readonly queue: JobQueue,
    private readonly entities: EntityResolver,
    private readonly logger: LoggerService,
  ) {}

  async ingestAlertmanager(
    body: unknown,
    rawBody: Buffer,
  ): Promise<WebhookAcceptedResponse> {
    const parsed = alertmanagerWebhookSchema.safeParse(body);
    if (!parsed.success) {
      throw new InputError(
        `Invalid Alertmanager webhook: ${fromZodError(parsed.error)}`,
      );
    }
    const { alerts, rejected } = normalizeAlertmanager(parsed.data);
    if (rejected.length > 0) {
      throw new InputError(
        `Invalid Alertmanager webhook: ${rejected.join('; ')}`,
      );
    }
    const entityRefs = new Map<string, string | null>();
    for (const alert of alerts) {
      const service = alert.resource['service.name'];
      if (!entityRefs.has(service)) {
        entityRefs.set(service, await this.resolveEntity(service));
      }
    }
    const result = await this.incidents.ingest({
      source: 'alertmanager',
      deliveryKey: createHash('sha256').update(rawBody).digest('hex'),
      alerts: alerts.map(alert => ({
        alert,
        correlationKey: correlationKey(alert),
        entityRef: entityRefs.get(alert.resource['service.name']) ?? null,
      })),
    });
    if (result.triagedIncidentIds.length > 0) {
      this.queue.notifyEnqueued();
    }
    this.logger.info('Accepted alert delivery', {
      source: 'alertmanager',
      deliveryId: result.deliveryId,
      duplicate: result.duplicate,
      alerts: alerts.length,
      incidents: result.incidentIds.length,
    });
    return {
      deliveryId: result.deliveryId,
      duplicate: result.duplicate,
      incidentIds: result.incidentIds,
    };
  }

  /** A catalog outage must not lose the alert: it is stored unlinked instead. */
  private async resolveEntity(serviceName: string): Promise<string | null> {
    try {
      return await this.entities.resolve(serviceName);
    } catch (error) {
      this.logger.warn(
        `Catalog lookup for service ${serviceName} failed; storing unlinked`,
        {
          error: String(error),
        },
      );
      return null;
    }
  }
}
