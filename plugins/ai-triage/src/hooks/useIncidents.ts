import { useCallback } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { aiTriageApiRef } from '../api';
import { usePolling } from './usePolling';

/** How often open pages ask for new incidents and triage progress. */
const POLL_INTERVAL_MS = 3000;

/**
 * The incidents of an entity, polled so that new ones appear while the page is open.
 *
 * @internal
 */
export function useIncidents(entityRef: string) {
  const api = useApi(aiTriageApiRef);
  const load = useCallback(
    () => api.listIncidents({ entityRef }),
    [api, entityRef],
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
