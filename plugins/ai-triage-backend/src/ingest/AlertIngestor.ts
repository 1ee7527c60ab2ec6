import { createHash } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  Alert,
  AlertSource,
  WebhookAcceptedResponse,
} from '@ai-triage/plugin-ai-triage-common';
import { IncidentStore } from '../database/IncidentStore';
import { JobQueue } from '../queue/JobQueue';
import { EntityResolver } from '../catalog/EntityResolver';
import { correlationKey } from './correlationKey';
import {
  IntakeLimits,
  checkIntakeLimits,
  clampTimestamps,
} from './IntakeLimits';
import { AlertEvent } from './ParsedDelivery';
import { SOURCE_FORMATS, parseDelivery } from './parseDelivery';

/**
 * The intake stage, one path for every sender: validates the payload against its source's
 * format, normalizes it to canonical alerts, checks the intake limits, links each alert to its
 * catalog entity and stores the delivery (with its incidents and jobs) in one transaction.
 * A payload with any invalid part is rejected whole with an InputError, and nothing is stored.
 */
export class AlertIngestor {
  static create(options: {
    incidents: IncidentStore;
    queue: JobQueue;
    entities: EntityResolver;
    limits: IntakeLimits;
    logger: LoggerService;
  }): AlertIngestor {
    return new AlertIngestor(
      options.incidents,
      options.queue,
      options.entities,
      options.limits,
      options.logger,
    );
  }

  private constructor(
    private readonly incidents: IncidentStore,
    private readonly queue: JobQueue,
    private readonly entities: EntityResolver,
    private readonly limits: IntakeLimits,
    private readonly logger: LoggerService,
  ) {}

  async ingest(
    source: AlertSource,
    body: unknown,
    rawBody: Buffer,
  ): Promise<WebhookAcceptedResponse> {
    const receivedAt = new Date();
    const parsed = parseDelivery(source, body, receivedAt);
    checkIntakeLimits(parsed, this.limits, SOURCE_FORMATS[source].title);
    const clampedTimestamps = clampTimestamps(parsed, this.limits, receivedAt);

    const alerts = parsed.alerts.map(a => a.alert);
    for (const event of parsed.events) {
      const alert = await this.applyEvent(source, event);
      if (alert) {
        alerts.push(alert);
      }
    }
    // The catalog is asked from the cache only: a slow catalog must delay no alert. Services
    // without a fresh answer are stored unlinked and linked right after (linkLater), or by the
    // IncidentLinker's next run.
    const entityRefs = new Map<string, string | null>();
    const unresolved: string[] = [];
    for (const alert of alerts) {
      const service = alert.resource['service.name'];
      if (!entityRefs.has(service)) {
        const cached = this.entities.cached
          ? this.entities.cached(service)
          : await this.resolveEntity(service);
        if (cached === undefined) unresolved.push(service);
        entityRefs.set(service, cached ?? null);
      }
    }
    const result = await this.incidents.ingest({
      source,
      deliveryKey: createHash('sha256').update(rawBody).digest('hex'),
      alerts: alerts.map(alert => ({
        alert,
        correlationKey: correlationKey(alert),
        entityRef: entityRefs.get(alert.resource['service.name']) ?? null,
      })),
      truncatedAlerts: parsed.truncatedAlerts,
    });
    if (unresolved.length > 0) {
      void this.linkLater(unresolved);
    }
    if (result.triagedIncidentIds.length > 0) {
      this.queue.notifyEnqueued();
    }
    const facts = {
      source,
      deliveryId: result.deliveryId,
      duplicate: result.duplicate,
      alerts: alerts.length,
      ignoredEvents:
        parsed.alerts.length + parsed.events.length - alerts.length,
      truncatedAlerts: parsed.truncatedAlerts,
      clampedTimestamps,
      incidents: result.incidentIds.length,
    };
    if (parsed.truncatedAlerts > 0) {
      this.logger.warn(
        `Accepted a truncated alert delivery: the sender left out ${parsed.truncatedAlerts} alerts (raise max_alerts)`,
        facts,
      );
    } else {
      this.logger.info('Accepted alert delivery', facts);
    }
    return {
      deliveryId: result.deliveryId,
      duplicate: result.duplicate,
      incidentIds: result.incidentIds,
    };
  }

  /** The alert an event leaves behind: the known one updated, the described one, or none. */
  private async applyEvent(
    source: AlertSource,
    event: AlertEvent,
  ): Promise<Alert | undefined> {
    const known = await this.incidents.findAlert(source, event.fingerprint);
    if (!known) {
      return event.alert;
    }
    return {
      ...known,
      status: event.status,
      startsAt:
        event.status === 'firing' && known.status === 'resolved'
          ? event.at
          : known.startsAt,
      severity: event.severity ?? known.severity,
      endsAt: event.status === 'resolved' ? event.at : null,
      annotations: { ...known.annotations, ...event.annotations },
    };
  }

  /** Links the incidents of services the cache did not know, once the catalog answers. */
  private async linkLater(serviceNames: string[]): Promise<void> {
    for (const serviceName of serviceNames) {
      const entityRef = await this.resolveEntity(serviceName);
      if (!entityRef) continue;
      try {
        await this.incidents.linkService(serviceName, entityRef);
      } catch (error) {
        this.logger.warn(
          `Linking the incidents of service ${serviceName} failed; the linker retries`,
          { error: String(error) },
        );
      }
    }
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
