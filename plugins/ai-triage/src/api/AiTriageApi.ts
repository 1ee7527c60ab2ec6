import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  IncidentDetailResponse,
  IncidentListQuery,
  IncidentListResponse,
  RetriageResponse,
  TriageQualityResponse,
  Review,
  ReviewRequest,
  SetIncidentStatusRequest,
  SetIncidentStatusResponse,
  TicketRef,
} from '@ai-triage/plugin-ai-triage-common';
import { IncidentGroupListResponse } from './groupIncidents';

/**
 * Reads incidents from the AI triage backend and records reviews of their hypotheses.
 *
 * @public
 */
export interface AiTriageApi {
  /** One page of incidents matching the query: open ones first, then the most recently seen. */
  listIncidents(query: IncidentListQuery): Promise<IncidentListResponse>;
  /**
   * One page of incidents matching the query, one row per fault group, each with its lead's top
   * hypothesis and review state (the feed).
   */
  listIncidentGroups(
    query: IncidentListQuery,
  ): Promise<IncidentGroupListResponse>;
  /** One incident with its alerts, context document and hypotheses. */
  getIncident(incidentId: string): Promise<IncidentDetailResponse>;
  /** Accepts, modifies or rejects a hypothesis as the signed-in user. */
  reviewHypothesis(
    incidentId: string,
    hypothesisId: string,
    request: ReviewRequest,
  ): Promise<Review>;
  /** Runs enrichment and reasoning for the incident again. */
  retriageIncident(incidentId: string): Promise<RetriageResponse>;
  /** Review outcomes and calibration per reasoner over a time range (ISO instants). */
  getQuality(range: {
    from?: string;
    to?: string;
  }): Promise<TriageQualityResponse>;
  /** Acknowledges, resolves or reopens the incident as the signed-in user. */
  setIncidentStatus(
    incidentId: string,
    request: SetIncidentStatusRequest,
  ): Promise<SetIncidentStatusResponse>;
  /** Sets the incident's ticket (an issue URL, Jira key, PagerDuty URL), or clears it with null. */
  setIncidentTicket(
    incidentId: string,
    ticket: string | null,
  ): Promise<{ ticket: TicketRef | null }>;
}

/** @public */
export const aiTriageApiRef = createApiRef<AiTriageApi>().with({
  id: 'plugin.ai-triage.service',
  pluginId: 'ai-triage',
});
