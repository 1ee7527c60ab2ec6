import { useCallback, useEffect } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { useSignal } from '@backstage/plugin-signals-react';
import {
  AI_TRIAGE_SIGNAL_CHANNEL,
  IncidentChangedSignal,
  IncidentListQuery,
} from '@ai-triage/plugin-ai-triage-common';
import { aiTriageApiRef } from '../api';
import { usePolling } from './usePolling';

/** How often open pages ask for new incidents and triage progress. */
const POLL_INTERVAL_MS = 3000;

/**
 * How often they ask while the signals plugin is installed: finished triage, reviews, status
 * changes and re-triage then arrive as signals at once, so polling only catches new incidents
 * and intermediate triage states.
 */
const SIGNALLED_POLL_INTERVAL_MS = 15000;

/**
 * Polls `load` every `intervalMs`, and where the Backstage signals plugin is installed also
 * reloads at once when the backend signals a change that `matches` accepts (a finished triage,
 * reviews, status changes and re-triage by others). Polling stays on either way, backed off to
 * {@link SIGNALLED_POLL_INTERVAL_MS} while signals are available: it also covers new incidents
 * and triage progress.
 *
 * @internal
 */
export function useLiveValue<T>(
  load: () => Promise<T>,
  options: {
    matches?: (signal: IncidentChangedSignal) => boolean;
    intervalMs?: number;
  } = {},
) {
  const { matches = () => true } = options;
  const { lastSignal, isSignalsAvailable } = useSignal<IncidentChangedSignal>(
    AI_TRIAGE_SIGNAL_CHANNEL,
  );
  const intervalMs =
    options.intervalMs ??
    (isSignalsAvailable ? SIGNALLED_POLL_INTERVAL_MS : POLL_INTERVAL_MS);
  const state = usePolling(load, intervalMs);
  const { reload } = state;
  const relevant = lastSignal !== null && matches(lastSignal);
  useEffect(() => {
    if (relevant) {
      reload();
    }
    // Every signal is a new object; `relevant` follows from it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lastSignal, reload]);
  return state;
}

/**
 * One page of incidents matching the query, kept live so that new ones appear while the page is
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
  return useLiveValue(load);
}

/**
 * One page of the feed, one row per fault group, kept live like {@link useIncidents}.
 *
 * @internal
 */
export function useIncidentGroups(query: IncidentListQuery) {
  const api = useApi(aiTriageApiRef);
  const key = JSON.stringify(query);
  const load = useCallback(
    () => api.listIncidentGroups(JSON.parse(key) as IncidentListQuery),
    [api, key],
  );
  return useLiveValue(load);
}

/**
 * One incident with its alerts, context and hypotheses, kept live so that triage progress and
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
  return useLiveValue(load, {
    matches: signal => signal.incidentId === incidentId,
  });
}
