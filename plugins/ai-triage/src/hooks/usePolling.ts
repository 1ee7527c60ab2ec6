import { useCallback, useEffect, useState } from 'react';

/** @internal */
type PollingState<T> = {
  /** The latest value, kept while a later poll fails. */
  value?: T;
  /** The error of the latest poll, cleared by the next successful one. */
  error?: Error;
  /** Polls now instead of waiting for the next tick. */
  reload: () => void;
};

/**
 * Calls `load` now and again `intervalMs` after each answer, until unmounted. A new `load`
 * (memoize it with `useCallback`) starts over with an empty state, so a value of a previous
 * subject is never shown for the current one.
 *
 * @internal
 */
export function usePolling<T>(
  load: () => Promise<T>,
  intervalMs: number,
): PollingState<T> {
  const [state, setState] = useState<{ value?: T; error?: Error }>({});
  const [generation, setGeneration] = useState(0);

  useEffect(() => setState({}), [load]);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const value = await load();
        if (!cancelled) {
          setState({ value });
        }
      } catch (error) {
        if (!cancelled) {
          setState(previous => ({ ...previous, error: toError(error) }));
        }
      }
      if (!cancelled) {
        timer = setTimeout(poll, intervalMs);
      }
    };
    poll();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [load, intervalMs, generation]);

  const reload = useCallback(() => setGeneration(g => g + 1), []);

  return { ...state, reload };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
