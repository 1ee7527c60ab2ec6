import { ReactNode } from 'react';
import { TestApiProvider } from '@backstage/test-utils';
import { SignalApi, signalApiRef } from '@backstage/plugin-signals-react';
import { act, renderHook, waitFor } from '@testing-library/react';
import { IncidentChangedSignal } from '@ai-triage/plugin-ai-triage-common';
import { useLiveValue } from './useIncidents';

// An hour: any reload seen in these tests comes from a signal, not from the poll.
const NEVER_MS = 3_600_000;

function fakeSignals() {
  const listeners: Array<(message: IncidentChangedSignal) => void> = [];
  const api: SignalApi = {
    subscribe(channel, onMessage) {
      expect(channel).toBe('ai-triage:incidents');
      const listener = onMessage as unknown as (
        message: IncidentChangedSignal,
      ) => void;
      listeners.push(listener);
      return {
        unsubscribe: () => listeners.splice(listeners.indexOf(listener), 1),
      };
    },
  };
  const emit = (message: IncidentChangedSignal) =>
    act(() => listeners.forEach(listener => listener(message)));
  return { api, emit };
}

function renderLiveValue(
  signals: SignalApi | undefined,
  matches?: (signal: IncidentChangedSignal) => boolean,
) {
  let loads = 0;
  const load = async () => ++loads;
  const wrapper = signals
    ? ({ children }: { children: ReactNode }) => (
        <TestApiProvider apis={[[signalApiRef, signals]]}>
          {children}
        </TestApiProvider>
      )
    : undefined;
  const hook = renderHook(
    () => useLiveValue(load, { matches, intervalMs: NEVER_MS }),
    { wrapper },
  );
  return { hook, loads: () => loads };
}

describe('useLiveValue', () => {
  it('reloads at once when the backend signals a matching change', async () => {
    const { api, emit } = fakeSignals();
    const { hook } = renderLiveValue(
      api,
      signal => signal.incidentId === 'inc-1',
    );
    await waitFor(() => expect(hook.result.current.value).toBe(1));

    emit({ incidentId: 'inc-2', change: 'reviewed' });
    emit({ incidentId: 'inc-1', change: 'reviewed' });
    await waitFor(() => expect(hook.result.current.value).toBe(2));

    emit({ incidentId: 'inc-1', change: 'retriaged' });
    await waitFor(() => expect(hook.result.current.value).toBe(3));
  });

  it('polls without the signals plugin', async () => {
    const { hook } = renderLiveValue(undefined);
    await waitFor(() => expect(hook.result.current.value).toBe(1));
    expect(hook.result.current.error).toBeUndefined();
  });
});
