import type { Alert, Incident } from './incident';
import type { ContextDocument } from './context';
import type { Hypothesis } from './hypothesis';
import type { FaultGroup } from './localization';
import type { IncidentWorkflow } from './workflow';

/** @public */
export type WebhookAcceptedResponse = {
  deliveryId: string;
  duplicate: boolean;
  incidentIds: string[];
};

/**
 * One page of incidents, open ones first, then the most recently seen.
 *
 * @public
 */
export type IncidentListResponse = {
  items: Incident[];
  /** How many incidents match the query in all. */
  totalCount: number;
  /** The offset of the first item. */
  offset: number;
  limit: number;
};

/**
 * Query parameters of `GET /incidents`. Severities and statuses are comma-separated lists.
 *
 * @public
 */
export type IncidentListQuery = {
  /** Incidents of this entity, including unlinked ones of its service name. */
  entityRef?: string;
  /** Incidents of the entities this group or user owns (`team-a` or `group:default/team-a`). */
  owner?: string;
  /** Incidents of the entities in this system (`shop` or `system:default/shop`). */
  system?: string;
  severity?: string;
  status?: string;
  /** `true`: only incidents no catalog entity was found for. */
  unlinked?: boolean;
  limit?: number;
  offset?: number;
};

/**
 * The answer to `POST /incidents/:id/retriage`: the incident, pending again with a new
 * `enrich` job queued.
 *
 * @public
 */
export type RetriageResponse = {
  incident: Incident;
};

/** @public */
export type StoredAlert = Alert & { id: string; receivedAt: string };

/** @public */
export type IncidentDetailResponse = {
  incident: Incident;
  alerts: StoredAlert[];
  context: ContextDocument | null;
  hypotheses: Hypothesis[];
  insufficientEvidence: boolean;
  /** Why triage failed (the last error of the incident's dead job), when it did. */
  failureReason?: string | null;
  /** The fallback reasoner answered because the configured one failed. */
  degraded?: boolean;
  degradedReason?: string | null;
  /** The fault group the incident belongs to, when localization grouped it. */
  faultGroup?: FaultGroup | null;
  /** The group's other incidents (the same fault seen from other services), lead first. */
  relatedIncidents?: Incident[];
  /** Who set the status and when, the ticket, and the current root cause. */
  workflow?: IncidentWorkflow;
};

/**
 * The Backstage signals channel on which the backend announces that an incident changed, so
 * open pages reload it at once instead of waiting for their next poll.
 *
 * @public
 */
export const AI_TRIAGE_SIGNAL_CHANNEL = 'ai-triage:incidents';

/**
 * The message on {@link AI_TRIAGE_SIGNAL_CHANNEL}.
 *
 * @public
 */
export type IncidentChangedSignal = {
  incidentId: string;
  change: 'triaged' | 'reviewed' | 'retriaged' | 'status';
};
