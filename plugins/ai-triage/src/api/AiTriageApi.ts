import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  IncidentDetailResponse,
  IncidentListResponse,
  Review,
  ReviewRequest,
} from '@ai-triage/plugin-ai-triage-common';

/**
 * Reads incidents from the AI triage backend and records reviews of their hypotheses.
 *
 * @public
 */
export interface AiTriageApi {
  /** The incidents of one catalog entity, newest first. */
  listIncidents(options: { entityRef: string }): Promise<IncidentListResponse>;
  /** One incident with its alerts, context document and hypotheses. */
  getIncident(incidentId: string): Promise<IncidentDetailResponse>;
  /** Accepts, modifies or rejects a hypothesis as the signed-in user. */
  reviewHypothesis(
    incidentId: string,
    hypothesisId: string,
    request: ReviewRequest,
  ): Promise<Review>;
}

/** @public */
export const aiTriageApiRef = createApiRef<AiTriageApi>().with({
  id: 'plugin.ai-triage.service',
  pluginId: 'ai-triage',
});
