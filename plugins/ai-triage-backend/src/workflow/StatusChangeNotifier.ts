import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  AI_TRIAGE_INCIDENTS_TOPIC,
  Incident,
  IncidentEvent,
} from '@ai-triage/plugin-ai-triage-common';
import {
  incidentsLink,
  NOTIFICATION_SEVERITY,
} from '../publishing/TriageResultPublisher';

const VERBS: Partial<Record<IncidentEvent['type'], string>> = {
  'incident.acknowledged': 'acknowledged',
  'incident.resolved': 'resolved',
};

/**
 * Tells the owners of an incident's entity, through the notifications service (as triage
 * results are), that someone acknowledged or resolved it. The notification has the incident's
 * scope, so it replaces the incident's earlier one in the owners' inbox. A failure is logged;
 * the stored change stands.
 */
export class StatusChangeNotifier {
  static create(options: {
    notifications: NotificationService;
    logger: LoggerService;
  }): StatusChangeNotifier {
    return new StatusChangeNotifier(options.notifications, options.logger);
  }

  private constructor(
    private readonly notifications: NotificationService,
    private readonly logger: LoggerService,
  ) {}

  async statusChanged(incident: Incident, event: IncidentEvent): Promise<void> {
    const verb = VERBS[event.type];
    if (!verb || !incident.entityRef) {
      return;
    }
    try {
      await this.notifications.send({
        recipients: { type: 'entity', entityRef: incident.entityRef },
        payload: {
          title: `Incident ${verb}: ${incident.title}`,
          description: `${event.actor} ${verb} it${
            event.comment ? `: ${event.comment}` : '.'
          }`,
          link: incidentsLink(incident.entityRef),
          severity: NOTIFICATION_SEVERITY[incident.severity] ?? 'normal',
          topic: AI_TRIAGE_INCIDENTS_TOPIC,
          scope: `ai-triage:${incident.id}`,
        },
      });
    } catch (error) {
      this.logger.warn('Could not notify the owners of the incident entity', {
        incidentId: incident.id,
        entityRef: incident.entityRef,
        error: String(error),
      });
    }
  }
}
