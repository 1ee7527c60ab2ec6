import { LoggerService } from '@backstage/backend-plugin-api';
import {
  LogRecord,
  TelemetryProvider,
  TelemetryQuery,
  TelemetryResult,
} from '@ai-triage/plugin-ai-triage-node';
import { isLogShapeCountSource } from '../telemetry/TelemetryStore';
import { ContextBuildInput } from './ContextBuilder';
import { MIN_BASELINE_MS } from './onset';

const MINUTE_MS = 60_000;

export type Window = { fromMs: number; toMs: number };

/** What the providers gave for one window. */
type Collected = {
  /** Records to summarize; logs of providers that count them are in `sampledLogs` instead. */
  result: Required<TelemetryResult>;
  /**
   * Log records of providers that count logs as they arrive: samples for the counted templates
   * (see countLogs); undefined when no such provider answered.
   */
  sampledLogs?: LogRecord[];
  missing: string[];
  /** Names of the providers that failed or timed out. */
  failed: string[];
};

export const EMPTY_RESULT: Required<TelemetryResult> = {
  spans: [],
  logs: [],
  metrics: [],
  truncated: [],
  missing: [],
};

/**
 * Reads telemetry from providers for one service and window, in parallel, each bounded by its
 * timeout (its own, else the configured one); a provider that fails or times out is named, never
 * thrown.
 */
export class TelemetryReader {
  constructor(
    private readonly options: {
      providerTimeoutMs: number;
      maxRecordsPerSignal: number;
      logger: LoggerService;
    },
  ) {}

  /**
   * Log shape counts of the incident window and the baseline, from the providers that keep them,
   * in whole minutes (their counts are per minute): the minute the split falls in counts to the
   * side that holds more of it (the split rounded to the nearest minute). Flooring it gave the
   * whole minute to the incident, so a baseline of one or two minutes lost up to half its log
   * records to the incident side while its spans kept them. Undefined when no provider counts
   * logs.
   */
  async countLogs(
    providers: TelemetryProvider[],
    serviceName: string,
    entity: TelemetryQuery['entity'],
    incident: Window,
    baseline: Window | null,
    sampled: LogRecord[] | undefined,
  ): Promise<ContextBuildInput['countedLogs']> {
    const counting = providers.filter(isLogShapeCountSource);
    if (!counting.length || !sampled) return undefined;
    const splitMs = roundToMinute(incident.fromMs);
    const query = (window: Window): TelemetryQuery => ({
      serviceName,
      fromMs: window === incident ? splitMs : floorToMinute(window.fromMs),
      toMs: window.toMs,
      limit: this.options.maxRecordsPerSignal,
      ...(entity ? { entity } : {}),
    });
    const signal = AbortSignal.timeout(this.options.providerTimeoutMs);
    const settle = (window: Window) =>
      Promise.allSettled(
        counting.map(provider =>
          provider.logShapeCounts(query(window), { signal }),
        ),
      ).then(results =>
        results.flatMap(r => (r.status === 'fulfilled' ? [r.value] : [])),
      );
    const [now, before] = await Promise.all([
      settle(incident),
      baseline
        ? settle({ fromMs: baseline.fromMs, toMs: splitMs })
        : Promise.resolve(undefined),
    ]);
    return {
      current: now.flatMap(c => c.shapes),
      sampled: sampled.filter(log => inWindow(log.timestampMs, incident)),
      ...(before ? { baseline: before.flatMap(c => c.shapes) } : {}),
      complete: [...now, ...(before ?? [])].every(c => c.complete),
    };
  }

  async collect(
    providers: TelemetryProvider[],
    serviceName: string,
    entity: TelemetryQuery['entity'],
    fromMs: number,
    toMs: number,
  ): Promise<Collected> {
    const { maxRecordsPerSignal, logger } = this.options;
    const query: TelemetryQuery = {
      serviceName,
      fromMs,
      toMs,
      limit: maxRecordsPerSignal,
      ...(entity ? { entity } : {}),
    };
    const settled = await Promise.allSettled(
      providers.map(provider => this.fetchWithTimeout(provider, query)),
    );
    // Counted logs are read apart, for the windows the onset gives (see countLogs).
    const result: Required<TelemetryResult> = {
      spans: [],
      logs: [],
      metrics: [],
      truncated: [],
      missing: [],
    };
    const missing: string[] = [];
    const failed: string[] = [];
    let sampledLogs: LogRecord[] | undefined;
    settled.forEach((outcome, index) => {
      const provider = providers[index];
      if (outcome.status === 'rejected') {
        logger.warn(`Telemetry provider ${provider.name} failed`, {
          error: String(outcome.reason),
        });
        const signals = (provider.signals ?? ['spans', 'logs', 'metrics']).join(
          ', ',
        );
        missing.push(
          `${provider.name} (${signals}): ${errorText(outcome.reason)}`,
        );
        failed.push(provider.name);
        return;
      }
      const telemetry = outcome.value;
      result.spans.push(...(telemetry.spans ?? []));
      result.metrics.push(...(telemetry.metrics ?? []));
      missing.push(...(telemetry.missing ?? []));
      if (isLogShapeCountSource(provider)) {
        // Counted logs: the records are samples, and being capped costs no count.
        sampledLogs ??= [];
        sampledLogs.push(...(telemetry.logs ?? []));
        result.truncated.push(
          ...(telemetry.truncated ?? []).filter(signal => signal !== 'logs'),
        );
      } else {
        result.logs.push(...(telemetry.logs ?? []));
        result.truncated.push(...(telemetry.truncated ?? []));
      }
    });
    return {
      result,
      ...(sampledLogs ? { sampledLogs } : {}),
      missing,
      failed,
    };
  }

  /**
   * The provider's answer, or a rejection once its timeout (its own, else the configured one)
   * passes: the signal it was given is aborted then, and the answer is not awaited further, so
   * a provider that ignores the signal cannot hold the incident up.
   */
  private async fetchWithTimeout(
    provider: TelemetryProvider,
    query: TelemetryQuery,
  ): Promise<TelemetryResult> {
    const timeoutMs = provider.timeoutMs ?? this.options.providerTimeoutMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new Error(
          `timed out after ${Number((timeoutMs / 1000).toFixed(3))} s`,
        );
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      return await Promise.race([
        provider.fetch(query, { signal: controller.signal }),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export function inWindow(ms: number, window: Window | null): boolean {
  return window !== null && ms >= window.fromMs && ms < window.toMs;
}

/**
 * The records of both reads split at the onset: the incident side from the onset on, the
 * baseline side in the baseline window (nothing where there is none, so no comparison is made).
 */
export function splitAt(
  current: Required<TelemetryResult>,
  fixed: Required<TelemetryResult>,
  incident: Window,
  baseline: Window | null,
  logLeadMs: number,
): { current: TelemetryResult; baseline: TelemetryResult } {
  // Logs: the incident side starts `logLeadMs` before the onset, the baseline ends there.
  const logWindow = (window: Window | null): Window | null => {
    if (window === null) return null;
    if (window === incident) {
      return { fromMs: window.fromMs - logLeadMs, toMs: window.toMs };
    }
    return {
      fromMs: window.fromMs,
      toMs: Math.min(window.toMs, incident.fromMs - logLeadMs),
    };
  };
  const pick = (window: Window | null): TelemetryResult => ({
    spans: [...fixed.spans, ...current.spans].filter(s =>
      inWindow(s.startTimeMs, window),
    ),
    logs: [...fixed.logs, ...current.logs].filter(l =>
      inWindow(l.timestampMs, logWindow(window)),
    ),
    metrics: [...fixed.metrics, ...current.metrics].filter(m =>
      inWindow(m.timestampMs, window),
    ),
    truncated: window === incident ? current.truncated : fixed.truncated,
  });
  return { current: pick(incident), baseline: baseline ? pick(baseline) : {} };
}

/**
 * How long before the onset log records still count to the incident side (besides one bucket,
 * the resolution of the onset): what causes a fault is logged shortly before its effect shows in
 * the RED series (a rollout's events while its new replicas become ready, a config reload, the
 * first pool warnings); a rolling update's last replica takes traffic within about a minute.
 */
export const LOG_LEAD_MS = 60_000;

/**
 * The log lead of an incident (see LOG_LEAD_MS), never so long that the logs' baseline (which
 * ends where the lead begins) keeps less than MIN_BASELINE_MS of the baseline window: the lead
 * is taken from the baseline, and with the short pre-onset baselines of young services a full
 * lead left the logs a baseline of seconds, so every template read as new (baseline count 0)
 * while the spans of the same baseline window showed the same errors. A baseline shorter than
 * MIN_BASELINE_MS gives no lead at all; without an onset (the window's start) there is none.
 */
export function logLeadFor(
  onsetMethod: string,
  bucketMs: number,
  baseline: Window | null,
): number {
  if (onsetMethod === 'window-start') return 0;
  const lead = bucketMs + LOG_LEAD_MS;
  if (!baseline) return lead;
  const spare = baseline.toMs - baseline.fromMs - MIN_BASELINE_MS;
  return Math.max(0, Math.min(lead, spare));
}

function roundToMinute(ms: number): number {
  return Math.round(ms / MINUTE_MS) * MINUTE_MS;
}

export function floorToMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

export function errorText(error: unknown): string {
  return String((error as Error)?.message ?? error);
}
