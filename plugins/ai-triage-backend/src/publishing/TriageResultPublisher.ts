import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { EventsService } from '@backstage/plugin-events-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  AI_TRIAGE_RESULTS_TOPIC,
  HypothesisSet,
  Incident,
  TriageResultEvent,
  probabilityOfLabel,
} from '@ai-triage/plugin-ai-triage-common';
import { TriageRun } from '../database/TriageStore';
import { IncidentSignaller } from './IncidentSignaller';

/** Notification severity of an incident severity. */
export const NOTIFICATION_SEVERITY = {
  critical: 'critical',
  high: 'high',
  warning: 'normal',
  info: 'low',
} as const;

/**
 * Tells the world a triage finished: an event on `ai-triage.results` through the events
 * service, and a notification to the owners of the incident's entity when the notifications
 * plugin is installed (the notifications backend resolves an entity recipient to its owning
 * group's members). A failure to publish is logged; it never loses the stored result.
 */
export class TriageResultPublisher {
  static create(options: {
    events: EventsService;
    logger: LoggerService;
    /** Absent when the notifications plugin is not installed. */
    notifications?: NotificationService;
    /** Tells open portal pages that the incident has a result. */
    signaller?: IncidentSignaller;
  }): TriageResultPublisher {
    return new TriageResultPublisher(
      options.events,
      options.logger,
      options.notifications,
      options.signaller,
    );
  }

  private constructor(
    private readonly events: EventsService,
    private readonly logger: LoggerService,
    private readonly notifications: NotificationService | undefined,
    private readonly signaller: IncidentSignaller | undefined,
  ) {}

  async publish(
    incident: Incident,
    run: TriageRun,
    result: HypothesisSet,
  ): Promise<TriageResultEvent> {
    const event: TriageResultEvent = {
      incidentId: incident.id,
      runId: run.id,
      entityRef: incident.entityRef,
      serviceName: incident.serviceName,
      title: incident.title,
      severity: incident.severity,
      reasoner: run.reasoner,
      degraded: run.degraded,
      degradedReason: run.degradedReason,
      insufficientEvidence: result.insufficientEvidence,
      hypotheses: result.hypotheses.map((h, index) => ({
        rank: index + 1,
        rootCause: h.rootCause,
        confidence: h.confidence,
        probability: h.probability ?? probabilityOfLabel(h.confidence),
        ...(h.kind ? { kind: h.kind } : {}),
        ...(h.origin ? { origin: h.origin } : {}),
        evidenceIds: h.evidenceIds,
      })),
      createdAt: run.createdAt,
    };
    try {
      await this.events.publish({
        topic: AI_TRIAGE_RESULTS_TOPIC,
        eventPayload: event,
        metadata: { incidentId: incident.id },
      });
    } catch (error) {
      this.logger.warn(`Could not publish ${AI_TRIAGE_RESULTS_TOPIC} event`, {
        incidentId: incident.id,
        error: String(error),
      });
    }
    if (this.notifications && incident.entityRef) {
      try {
        await this.notifications.send({
          recipients: { type: 'entity', entityRef: incident.entityRef },
          payload: {
            title: `Triage: ${incident.title}`,
            description: describe(event),
            link: incidentsLink(incident.entityRef),
            severity: NOTIFICATION_SEVERITY[incident.severity] ?? 'normal',
            topic: AI_TRIAGE_RESULTS_TOPIC,
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
    await this.signaller?.incidentChanged(incident.id, 'triaged');
    return event;
  }
}

function describe(event: TriageResultEvent): string {
  const degraded = event.degraded
    ? ' (degraded: the LLM was unavailable, the heuristic reasoner answered)'
    : '';
  const [top] = event.hypotheses;
  if (!top) {
    return `Not enough evidence for a hypothesis${degraded}.`;
  }
  return `Most likely (${top.confidence} confidence, ${Math.round(
    top.probability * 100,
  )}%): ${top.rootCause}${degraded}`;
}

/** The entity's Incidents tab in the portal. */
export function incidentsLink(entityRef: string): string {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return `/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(
    kind.toLocaleLowerCase('en-US'),
  )}/${encodeURIComponent(name)}/incidents`;
}
