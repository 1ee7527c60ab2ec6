import { randomUUID } from 'node:crypto';
import {
  AuditorService,
  AuditorServiceEventSeverityLevel,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { EventsService } from '@backstage/plugin-events-node';
import { JsonObject } from '@backstage/types';
import {
  AI_TRIAGE_INCIDENTS_TOPIC,
  AI_TRIAGE_REVIEWS_TOPIC,
  CurrentRootCause,
  Incident,
  IncidentEvent,
  IncidentStatus,
  IncidentWorkflow,
  OutboundWebhookBody,
  Review,
  ReviewEvent,
  ReviewRequest,
  SetIncidentStatusRequest,
  StoredAlert,
  TicketRef,
  incidentEventSchema,
  parseTicketRef,
  reviewEventSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { Request } from 'express';
import { IncidentStore } from '../database/IncidentStore';
import { JobQueue } from '../queue/JobQueue';
import { TriageStore } from '../database/TriageStore';
import { OutboundPlanner } from '../outbound/OutboundPlanner';
import { IncidentSignaller } from '../publishing/IncidentSignaller';
import { DatabaseWorkflowStore } from './DatabaseWorkflowStore';
import { StatusChangeNotifier } from './StatusChangeNotifier';

/** Who asks for a change, and through what (the HTTP API or an MCP/actions call). */
type WorkflowCaller = {
  credentials: BackstageCredentials;
  /** The HTTP request, for the audit record; absent for action calls. */
  request?: Request;
  via: 'http' | 'action';
};

const STATUS_EVENT_TYPES: Record<IncidentStatus, IncidentEvent['type']> = {
  open: 'incident.reopened',
  acknowledged: 'incident.acknowledged',
  resolved: 'incident.resolved',
};

/** Alert annotations and labels that may name the incident's ticket. */
const TICKET_KEYS = [
  'ticket',
  'pagerduty_incident',
  'jira_issue',
  'github_issue',
  'client_url',
  'links',
];

/**
 * The incident workflow: status changes, reviews, re-triage and the ticket reference. Each change
 * is stored with the outbound deliveries it causes (one transaction), then published on the
 * events service (`ai-triage.incidents`, `ai-triage.reviews`, payloads validated against their
 * schemas in -common), signalled to open pages and audited. The HTTP API and the actions
 * registry both go through here, so both behave the same.
 */
export class IncidentWorkflowService {
  static create(options: {
    incidents: IncidentStore;
    triage: TriageStore;
    queue: JobQueue;
    store: DatabaseWorkflowStore;
    planner: OutboundPlanner;
    events: EventsService;
    auditor: AuditorService;
    logger: LoggerService;
    signaller?: IncidentSignaller;
    /** Absent when the notifications plugin is not installed. */
    ownerNotifier?: StatusChangeNotifier;
  }): IncidentWorkflowService {
    return new IncidentWorkflowService(options);
  }

  private constructor(
    private readonly deps: Parameters<typeof IncidentWorkflowService.create>[0],
  ) {}

  /** The incident's workflow state; its ticket is the one set in the portal, else its alerts'. */
  async getWorkflow(
    incident: Incident,
    alerts?: StoredAlert[],
  ): Promise<IncidentWorkflow> {
    const stored = await this.deps.store.getWorkflow(incident.id);
    const ticket =
      stored?.ticket ??
      ticketFromAlerts(
        alerts ?? (await this.deps.incidents.listAlerts(incident.id)),
      );
    return {
      statusChangedBy: stored?.statusChangedBy ?? null,
      statusChangedAt: stored?.statusChangedAt ?? null,
      ticket: ticket ?? null,
      currentRootCause: stored?.currentRootCause ?? null,
    };
  }

  async setStatus(
    incidentId: string,
    change: SetIncidentStatusRequest,
    caller: WorkflowCaller,
  ): Promise<Incident> {
    return this.audited(
      'incident-status',
      'medium',
      caller,
      { incidentId, status: change.status },
      async () => {
        const actor = actorOf(caller.credentials);
        for (let attempt = 0; attempt < 3; attempt++) {
          const before = await this.requireIncident(incidentId);
          if (before.status === change.status) {
            return before;
          }
          const event = this.incidentEvent(
            { ...before, status: change.status },
            STATUS_EVENT_TYPES[change.status],
            before.status,
            actor,
            change.comment,
          );
          const body = { topic: AI_TRIAGE_INCIDENTS_TOPIC, event } as const;
          const result = await this.deps.store.setStatus({
            incidentId,
            expected: before.status,
            status: change.status,
            actor,
            comment: change.comment,
            deliveries: await this.deps.planner.plan(body),
          });
          if (result.outcome === 'not-found') {
            break;
          }
          if (result.outcome === 'conflict') {
            throw new ConflictError(
              `Incident ${incidentId} cannot be ${change.status} again: a newer incident of the same alerts is active`,
            );
          }
          if (result.outcome === 'changed') {
            await this.announce(body, 'status');
            const after = await this.requireIncident(incidentId);
            await this.deps.ownerNotifier?.statusChanged(after, event);
            return after;
          }
        }
        return this.requireIncident(incidentId);
      },
    );
  }

  async review(
    incidentId: string,
    hypothesisId: string,
    review: ReviewRequest,
    caller: WorkflowCaller,
  ): Promise<Review> {
    return this.audited(
      'hypothesis-review',
      'medium',
      caller,
      { incidentId, hypothesisId, decision: review.decision },
      async () => {
        const incident = await this.requireIncident(incidentId);
        const reviewer = actorOf(caller.credentials);
        const reviewedAt = new Date();
        const hypothesis = (
          await this.deps.triage.listHypotheses(incidentId)
        ).find(h => h.id === hypothesisId);
        if (!hypothesis) {
          throw new NotFoundError(
            `Hypothesis ${hypothesisId} not found in incident ${incidentId}`,
          );
        }
        const event: ReviewEvent = reviewEventSchema.parse({
          eventId: randomUUID(),
          type: `hypothesis.${review.decision}`,
          incident: summaryOf(incident),
          hypothesisId,
          decision: review.decision,
          rootCause: review.modifiedRootCause ?? hypothesis.rootCause,
          diagnosticSteps:
            review.modifiedDiagnosticSteps ?? hypothesis.diagnosticSteps,
          evidenceIds: hypothesis.evidenceIds,
          reviewer,
          comment: review.comment ?? null,
          occurredAt: reviewedAt.toISOString(),
        });
        const rootCause: CurrentRootCause | null =
          event.decision === 'rejected'
            ? null
            : {
                hypothesisId,
                decision: event.decision,
                rootCause: event.rootCause,
                diagnosticSteps: event.diagnosticSteps,
                evidenceIds: event.evidenceIds,
                reviewer,
                reviewedAt: event.occurredAt,
              };
        const body = { topic: AI_TRIAGE_REVIEWS_TOPIC, event } as const;
        const { ticket } = await this.getWorkflow(incident);
        // The review and the deliveries it causes: one transaction.
        const created = await this.deps.store.recordReview({
          incidentId,
          hypothesisId,
          reviewer,
          review,
          reviewedAt,
          rootCause,
          deliveries: await this.deps.planner.plan(body, ticket),
        });
        await this.announce(body, 'reviewed');
        return created;
      },
    );
  }

  async retriage(incidentId: string, caller: WorkflowCaller) {
    return this.audited(
      'incident-retriage',
      'medium',
      caller,
      { incidentId },
      async () => {
        const result = await this.deps.incidents.requestRetriage(incidentId);
        if (result.outcome === 'not-found') {
          throw new NotFoundError(`Incident ${incidentId} not found`);
        }
        if (result.outcome === 'in-progress') {
          throw new ConflictError(
            `Incident ${incidentId} is already being triaged; wait for the running triage to finish`,
          );
        }
        this.deps.queue.notifyEnqueued();
        const event = this.incidentEvent(
          result.incident,
          'incident.retriaged',
          null,
          actorOf(caller.credentials),
        );
        const body = { topic: AI_TRIAGE_INCIDENTS_TOPIC, event } as const;
        await this.deps.store.enqueueDeliveries(
          await this.deps.planner.plan(body),
        );
        await this.announce(body, 'retriaged');
        return result.incident;
      },
    );
  }

  /** Sets the ticket from what a person typed (URL, Jira key, `pagerduty:ID`), or clears it. */
  async setTicket(
    incidentId: string,
    text: string | null,
    caller: WorkflowCaller,
  ): Promise<TicketRef | null> {
    return this.audited(
      'incident-ticket',
      'low',
      caller,
      { incidentId },
      async () => {
        const ticket = text === null ? null : parseTicketRef(text);
        if (ticket === undefined) {
          throw new InputError(
            `Invalid ticket: "${text}" is not a GitHub issue URL, a Jira issue key or URL, or a PagerDuty incident URL or pagerduty:<id>`,
          );
        }
        if (!(await this.deps.store.setTicket(incidentId, ticket))) {
          throw new NotFoundError(`Incident ${incidentId} not found`);
        }
        await this.deps.signaller?.incidentChanged(incidentId, 'status');
        return ticket;
      },
    );
  }

  private async requireIncident(incidentId: string): Promise<Incident> {
    const incident = await this.deps.incidents.getIncident(incidentId);
    if (!incident) {
      throw new NotFoundError(`Incident ${incidentId} not found`);
    }
    return incident;
  }

  private incidentEvent(
    incident: Incident,
    type: IncidentEvent['type'],
    previousStatus: IncidentStatus | null,
    actor: string,
    comment?: string,
  ): IncidentEvent {
    return incidentEventSchema.parse({
      eventId: randomUUID(),
      type,
      incident: summaryOf(incident),
      previousStatus,
      actor,
      comment: comment ?? null,
      occurredAt: new Date().toISOString(),
    });
  }

  /** Publishes a stored change on the events service and to open pages; never fails it. */
  private async announce(
    body: OutboundWebhookBody,
    change: 'status' | 'reviewed' | 'retriaged',
  ): Promise<void> {
    try {
      await this.deps.events.publish({
        topic: body.topic,
        eventPayload: body.event,
        metadata: { incidentId: body.event.incident.id },
      });
    } catch (error) {
      this.deps.logger.warn(`Could not publish ${body.topic} event`, {
        incidentId: body.event.incident.id,
        error: String(error),
      });
    }
    await this.deps.signaller?.incidentChanged(body.event.incident.id, change);
  }

  private async audited<T>(
    eventId: string,
    severityLevel: AuditorServiceEventSeverityLevel,
    caller: WorkflowCaller,
    meta: JsonObject,
    fn: () => Promise<T>,
  ): Promise<T> {
    const auditEvent = await this.deps.auditor.createEvent({
      eventId,
      severityLevel,
      request: caller.request,
      meta: { ...meta, via: caller.via, actor: actorOf(caller.credentials) },
    });
    try {
      const result = await fn();
      await auditEvent.success();
      return result;
    } catch (error) {
      await auditEvent.fail({ error: error as Error });
      throw error;
    }
  }
}

function summaryOf(incident: Incident) {
  return {
    id: incident.id,
    title: incident.title,
    entityRef: incident.entityRef,
    serviceName: incident.serviceName,
    severity: incident.severity,
    status: incident.status,
  };
}

/** The user (or, for a service caller, the service) a change is recorded under. */
function actorOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (principal.type === 'user' && principal.userEntityRef) {
    return principal.userEntityRef;
  }
  return principal.subject ? `service:${principal.subject}` : principal.type;
}

/** The first ticket an alert of the incident names (see TICKET_KEYS), if any. */
function ticketFromAlerts(alerts: StoredAlert[]): TicketRef | undefined {
  for (const alert of alerts) {
    for (const key of TICKET_KEYS) {
      const value = alert.annotations[key] ?? alert.labels[key];
      for (const candidate of value?.split(/\s+/) ?? []) {
        const ticket = parseTicketRef(
          key === 'pagerduty_incident' && !candidate.includes(':')
            ? `pagerduty:${candidate}`
            : candidate,
        );
        if (ticket) {
          return ticket;
        }
      }
    }
  }
  return undefined;
}
