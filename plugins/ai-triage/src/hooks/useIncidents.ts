import { useCallback } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { IncidentListQuery } from '@ai-triage/plugin-ai-triage-common';
import { aiTriageApiRef } from '../api';
import { usePolling } from './usePolling';

/** How often open pages ask for new incidents and triage progress. */
export const POLL_INTERVAL_MS = 3000;

/**
 * One page of incidents matching the query, polled so that new ones appear while the page is
 * open. Only the page shown is requested, however many incidents there are.
 *
 * @internal
 */
export function useIncidents(query: IncidentListQuery) {
  const api = useApi(aiTriageApiRef);
  // The query object is new on every render; its content decides when to start over.
  const key = JSON.stringify(query);
  const load = useCallback(
    () => api.listIncidents(JSON.parse(key) as IncidentListQuery),
    [api, key],
  );
  return usePolling(load, POLL_INTERVAL_MS);
}

/**
 * One incident with its alerts, context and hypotheses, polled so that triage progress and
 * reviews by others show up without a reload.
 *
 * @internal
 */
export function useIncident(incidentId: string) {
  const api = useApi(aiTriageApiRef);
  const load = useCallback(
    () => api.getIncident(incidentId),
    [api, incidentId],
  );
  return usePolling(load, POLL_INTERVAL_MS);
}
