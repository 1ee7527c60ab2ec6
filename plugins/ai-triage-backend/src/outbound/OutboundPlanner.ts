import { LoggerService } from '@backstage/backend-plugin-api';
import {
  OutboundWebhookBody,
  ReviewEvent,
  TicketRef,
} from '@ai-triage/plugin-ai-triage-common';
import { EntityQuery } from '../catalog/CatalogEntityQuery';
import { OutboundConfig, WebhookTarget } from './readOutboundConfig';

/** A `deliver` job to enqueue with a workflow change (planned here, stored with the change by `workflow/`). */
export type DeliveryJob = {
  incidentId: string;
  maxAttempts: number;
  payload: unknown;
};

/** The input of a `deliver` job. Secrets and URLs stay in config; the job names its target. */
export type DeliveryPayload =
  | { kind: 'webhook'; target: string; body: OutboundWebhookBody }
  | { kind: 'ticket'; ticket: TicketRef; event: ReviewEvent };

/**
 * Decides which deliveries an event makes: one per webhook whose events and filters match, and,
 * for an accepted or modified hypothesis on an incident with a ticket, one comment on the ticket.
 */
export class OutboundPlanner {
  static create(options: {
    config: OutboundConfig;
    entityQuery: EntityQuery;
    logger: LoggerService;
  }): OutboundPlanner {
    return new OutboundPlanner(options);
  }

  private constructor(
    private readonly options: {
      config: OutboundConfig;
      entityQuery: EntityQuery;
      logger: LoggerService;
    },
  ) {}

  async plan(
    body: OutboundWebhookBody,
    ticket?: TicketRef | null,
  ): Promise<DeliveryJob[]> {
    const { config, logger } = this.options;
    const payloads: DeliveryPayload[] = [];
    for (const target of config.webhooks) {
      if (await this.matches(target, body)) {
        payloads.push({ kind: 'webhook', target: target.name, body });
      }
    }
    const event = body.event;
    if (
      ticket &&
      (event.type === 'hypothesis.accepted' ||
        event.type === 'hypothesis.modified')
    ) {
      if (config.tickets[ticket.system]) {
        payloads.push({ kind: 'ticket', ticket, event: event as ReviewEvent });
      } else {
        logger.warn(
          `Incident ${event.incident.id} has a ${ticket.system} ticket but aiTriage.outbound.tickets.${ticket.system} is not configured; not commenting on it`,
        );
      }
    }
    return payloads.map(payload => ({
      incidentId: event.incident.id,
      maxAttempts: config.maxAttempts,
      payload,
    }));
  }

  private async matches(
    target: WebhookTarget,
    body: OutboundWebhookBody,
  ): Promise<boolean> {
    const { incident, type } = body.event;
    const { filter } = target;
    if (!target.events.includes(type)) {
      return false;
    }
    if (filter.severities && !filter.severities.includes(incident.severity)) {
      return false;
    }
    if (
      filter.entityRefs &&
      !(incident.entityRef && filter.entityRefs.includes(incident.entityRef))
    ) {
      return false;
    }
    if (filter.owners) {
      if (!incident.entityRef) {
        return false;
      }
      for (const owner of filter.owners) {
        const owned = await this.options.entityQuery.entityRefsOf({ owner });
        if (owned.includes(incident.entityRef)) {
          return true;
        }
      }
      return false;
    }
    return true;
  }
}
