import { z } from 'zod';
import { INCIDENT_STATUSES, SEVERITIES } from '../constants';
import type { Incident } from './incident';
import { REVIEW_DECISIONS } from './hypothesis';

/**
 * The body of `POST /incidents/:id/status`: acknowledge, resolve or reopen (`open`) an incident.
 *
 * @public
 */
export const setIncidentStatusRequestSchema = z.strictObject({
  status: z.enum(INCIDENT_STATUSES),
  comment: z.string().max(2000).optional(),
});

/** @public */
export type SetIncidentStatusRequest = z.infer<
  typeof setIncidentStatusRequestSchema
>;

/**
 * Where an incident is tracked outside the portal: a PagerDuty incident, a Jira issue or a GitHub
 * issue. Accepting a hypothesis posts the accepted cause and next steps there.
 *
 * @public
 */
export const ticketRefSchema = z.discriminatedUnion('system', [
  z.object({
    system: z.literal('pagerduty'),
    incidentId: z.string().regex(/^[A-Z0-9]{2,32}$/),
  }),
  z.object({
    system: z.literal('jira'),
    issueKey: z.string().regex(/^[A-Z][A-Z0-9_]{0,30}-[1-9][0-9]{0,9}$/),
  }),
  z.object({
    system: z.literal('github'),
    owner: z.string().regex(/^[A-Za-z0-9-]{1,39}$/),
    repo: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
    issueNumber: z.number().int().positive(),
  }),
]);

/** @public */
export type TicketRef = z.infer<typeof ticketRefSchema>;

/**
 * Reads a ticket reference as people write it: a GitHub issue URL
 * (`https://github.com/acme/shop/issues/12`), a Jira issue key (`OPS-42`) or browse URL, a
 * PagerDuty incident URL (`https://acme.pagerduty.com/incidents/Q1W2E3`) or `pagerduty:Q1W2E3`.
 * Returns undefined when the text is none of these.
 *
 * @public
 */
export function parseTicketRef(text: string): TicketRef | undefined {
  const value = text.trim();
  const github = value.match(
    /^https?:\/\/[^/]+\/([A-Za-z0-9-]{1,39})\/([A-Za-z0-9._-]{1,100})\/issues\/([1-9][0-9]{0,9})\/?$/,
  );
  if (github) {
    return {
      system: 'github',
      owner: github[1],
      repo: github[2],
      issueNumber: Number(github[3]),
    };
  }
  const pagerduty =
    value.match(/^https?:\/\/[^/]*pagerduty\.com\/incidents\/([A-Z0-9]+)/) ??
    value.match(/^pagerduty:([A-Z0-9]{2,32})$/);
  if (pagerduty) {
    return { system: 'pagerduty', incidentId: pagerduty[1] };
  }
  const jira =
    value.match(/^https?:\/\/[^/]+\/browse\/([A-Z][A-Z0-9_]*-[0-9]+)\/?$/) ??
    value.match(/^([A-Z][A-Z0-9_]{0,30}-[1-9][0-9]{0,9})$/);
  if (jira) {
    return { system: 'jira', issueKey: jira[1] };
  }
  return undefined;
}

/**
 * The body of `PUT /incidents/:id/ticket`: a ticket reference as {@link parseTicketRef} reads
 * it, or null to clear it.
 *
 * @public
 */
export const setTicketRequestSchema = z.strictObject({
  ticket: z.string().min(1).max(500).nullable(),
});

/**
 * The hypothesis a reviewer accepted (or modified) last: the incident's current root cause.
 *
 * @public
 */
export const currentRootCauseSchema = z.object({
  hypothesisId: z.string(),
  decision: z.enum(['accepted', 'modified']),
  rootCause: z.string(),
  diagnosticSteps: z.array(z.string()),
  evidenceIds: z.array(z.string()),
  reviewer: z.string(),
  reviewedAt: z.string(),
});

/** @public */
export type CurrentRootCause = z.infer<typeof currentRootCauseSchema>;

/**
 * Who moved the incident to its status and when, its ticket, and its current root cause.
 *
 * @public
 */
export type IncidentWorkflow = {
  statusChangedBy: string | null;
  statusChangedAt: string | null;
  ticket: TicketRef | null;
  currentRootCause: CurrentRootCause | null;
};

/**
 * The answer to `POST /incidents/:id/status`.
 *
 * @public
 */
export type SetIncidentStatusResponse = {
  incident: Incident;
  workflow: IncidentWorkflow;
};

/**
 * The events-service topic of incident lifecycle changes and re-triage requests.
 *
 * @public
 */
export const AI_TRIAGE_INCIDENTS_TOPIC = 'ai-triage.incidents';

/**
 * The events-service topic of hypothesis reviews.
 *
 * @public
 */
export const AI_TRIAGE_REVIEWS_TOPIC = 'ai-triage.reviews';

const incidentSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  entityRef: z.string().nullable(),
  serviceName: z.string(),
  severity: z.enum(SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
});

/**
 * The payload of an `ai-triage.incidents` event: a person (or an agent acting for one) changed
 * the incident's status or asked for it to be triaged again.
 *
 * @public
 */
export const incidentEventSchema = z.object({
  eventId: z.uuid(),
  type: z.enum([
    'incident.acknowledged',
    'incident.resolved',
    'incident.reopened',
    'incident.retriaged',
  ]),
  incident: incidentSummarySchema,
  previousStatus: z.enum(INCIDENT_STATUSES).nullable(),
  actor: z.string(),
  comment: z.string().nullable(),
  occurredAt: z.iso.datetime(),
});

/** @public */
export type IncidentEvent = z.infer<typeof incidentEventSchema>;

/**
 * The payload of an `ai-triage.reviews` event: a hypothesis was accepted, modified or rejected.
 * `rootCause` and `diagnosticSteps` are what the reviewer settled on (the modified ones when
 * modified).
 *
 * @public
 */
export const reviewEventSchema = z.object({
  eventId: z.uuid(),
  type: z.enum([
    'hypothesis.accepted',
    'hypothesis.modified',
    'hypothesis.rejected',
  ]),
  incident: incidentSummarySchema,
  hypothesisId: z.string(),
  decision: z.enum(REVIEW_DECISIONS),
  rootCause: z.string(),
  diagnosticSteps: z.array(z.string()),
  evidenceIds: z.array(z.string()),
  reviewer: z.string(),
  comment: z.string().nullable(),
  occurredAt: z.iso.datetime(),
});

/** @public */
export type ReviewEvent = z.infer<typeof reviewEventSchema>;

/**
 * Every event type an outbound webhook can subscribe to.
 *
 * @public
 */
export const WORKFLOW_EVENT_TYPES = [
  ...incidentEventSchema.shape.type.options,
  ...reviewEventSchema.shape.type.options,
] as const;

/** @public */
export type WorkflowEventType = (typeof WORKFLOW_EVENT_TYPES)[number];

/**
 * The JSON body an outbound webhook receives. It is signed: the `x-ai-triage-signature` header is
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the webhook secret>`.
 *
 * @public
 */
export type OutboundWebhookBody =
  | { topic: typeof AI_TRIAGE_INCIDENTS_TOPIC; event: IncidentEvent }
  | { topic: typeof AI_TRIAGE_REVIEWS_TOPIC; event: ReviewEvent };
