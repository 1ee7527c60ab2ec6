import { Onset } from '@ai-triage/plugin-ai-triage-common';
import { SpanRecord } from '@ai-triage/plugin-ai-triage-node';
import { median, percentile, round } from './stats';

/**
 * Bucket width bounds. 10 s is the floor because a small service (a few requests a second)
 * needs some tens of requests per bucket for an error rate and a p95; it is also the scrape
 * interval of the lab's Prometheus and a common default. 60 s is the ceiling: the resolution
 * the rest of the context has always used (minute windows).
 */
const MIN_BUCKET_MS = 10_000;
const MAX_BUCKET_MS = 60_000;
/**
 * About this many buckets over the data span: with a fault taking the last third of a short
 * recording (2 min healthy, 1.5 min fault), 24 buckets leave 8 or more on each side.
 */
const TARGET_BUCKETS = 24;
/** Fewest buckets on the healthy side of a candidate split (a mean of fewer is noise). */
const MIN_BEFORE_BUCKETS = 3;
/**
 * Fewest buckets on the incident side: triage runs when the alert arrives, and an alert on an
 * error ratio with a short `for:` fires within one 10 s bucket of the change; a single bucket
 * still has to pass MIN_SPLIT_STATISTIC, which only a strong shift does.
 */
const MIN_AFTER_BUCKETS = 1;
/**
 * The two-sample statistic a split must reach. The best of ~20 candidate splits is taken, so a
 * single test's 3 sigma would fire on noise; 4 is the Bonferroni bound for 24 tests at about
 * 0.1 % (two-sided normal quantile 1 - 0.001/24/2 = 3.9).
 */
const MIN_SPLIT_STATISTIC = 4;
/**
 * Noise floors of the bucket series, so a constant healthy series (no errors at all) does not
 * make any blip infinitely significant: one percentage point of error rate; 5 % of the
 * healthy p95 (the bucket-to-bucket jitter of a p95 over some tens of requests) and at least
 * 1 ms (timer resolution of the SDKs' span clocks in practice).
 */
const ERROR_RATE_FLOOR = 0.01;
const DURATION_FLOOR_SHARE = 0.05;
const DURATION_FLOOR_MS = 1;
/**
 * A baseline counts as sufficient with at least a minute of data (the shortest range of
 * Prometheus `rate()` alert expressions and of the minute windows the context used) and 20
 * requests (below 20 samples the nearest-rank p95 is the maximum, not a percentile).
 */
export const MIN_BASELINE_MS = 60_000;
export const MIN_BASELINE_REQUESTS = 20;

const SERVER = 2;
const CONSUMER = 5;
const CLIENT = 3;
const PRODUCER = 4;
const STATUS_ERROR = 2;

/** RED figures of one bucket: requests, errors, p95 duration (null with no requests). */
type RedBucket = {
  startMs: number;
  requests: number;
  errors: number;
  p95Ms: number | null;
};

/** The bucket width for data spanning `spanMs`: 10 s to 60 s, a multiple of 5 s. */
export function bucketWidthMs(spanMs: number): number {
  const raw = Math.ceil(spanMs / TARGET_BUCKETS / 5_000) * 5_000;
  return Math.min(MAX_BUCKET_MS, Math.max(MIN_BUCKET_MS, raw));
}

/** The service's entry spans (server, consumer), or its non-client spans when it has none. */
function entrySpans(spans: SpanRecord[], service: string): SpanRecord[] {
  const own = spans.filter(span => span.serviceName === service);
  const entries = own.filter(s => s.kind === SERVER || s.kind === CONSUMER);
  return entries.length
    ? entries
    : own.filter(s => s.kind !== CLIENT && s.kind !== PRODUCER);
}

/** RED series of spans in buckets of `bucketMs` from `fromMs` to `toMs`. */
function redSeries(
  spans: SpanRecord[],
  fromMs: number,
  toMs: number,
  bucketMs: number,
): RedBucket[] {
  const count = Math.max(1, Math.ceil((toMs - fromMs) / bucketMs));
  const durations: number[][] = Array.from({ length: count }, () => []);
  const errors = new Array<number>(count).fill(0);
  for (const span of spans) {
    const index = Math.floor((span.startTimeMs - fromMs) / bucketMs);
    if (index < 0 || index >= count) continue;
    durations[index].push(span.durationMs);
    if (span.statusCode === STATUS_ERROR) errors[index] += 1;
  }
  return durations.map((values, i) => {
    values.sort((a, b) => a - b);
    return {
      startMs: fromMs + i * bucketMs,
      requests: values.length,
      errors: errors[i],
      p95Ms: values.length ? percentile(values, 0.95) : null,
    };
  });
}

/**
 * The single mean shift of a series that a two-sample test finds strongest (the CUSUM
 * estimator of one change point, scored as a Welch-like z with a noise floor), looking only at
 * splits up to `lastIndex`. `increaseOnly` ignores drops (errors and latency that fall are not
 * a fault). Null buckets (no requests) are left out of both sides.
 */
function strongestShift(
  values: Array<number | null>,
  options: { floor: number; increaseOnly: boolean; lastIndex: number },
): { index: number; statistic: number } | null {
  let best: { index: number; statistic: number } | null = null;
  const last = Math.min(options.lastIndex, values.length - MIN_AFTER_BUCKETS);
  for (let k = MIN_BEFORE_BUCKETS; k <= last; k++) {
    const before = values.slice(0, k).filter((v): v is number => v !== null);
    const after = values.slice(k).filter((v): v is number => v !== null);
    if (before.length < MIN_BEFORE_BUCKETS || after.length < MIN_AFTER_BUCKETS)
      continue;
    const meanBefore = mean(before);
    const meanAfter = mean(after);
    const shift = meanAfter - meanBefore;
    if (options.increaseOnly && shift <= 0) continue;
    const pooled = Math.sqrt(
      (sumSquares(before, meanBefore) + sumSquares(after, meanAfter)) /
        Math.max(1, before.length + after.length - 2),
    );
    const sd = Math.max(pooled, options.floor);
    const statistic =
      Math.abs(shift) / (sd * Math.sqrt(1 / before.length + 1 / after.length));
    if (!best || statistic > best.statistic) best = { index: k, statistic };
  }
  return best;
}

/**
 * The onset of an incident on the alerted service, and the baseline before it.
 *
 * The service's entry spans are bucketed (10-60 s, adaptive to the span of data) into RED series
 * (error rate, p95 duration, request count); on each, the strongest single mean shift that
 * starts no later than the earliest alert is found by a two-sample test; the earliest shift that
 * reaches {@link MIN_SPLIT_STATISTIC} is the onset (`change-point`). Without one, the earliest
 * alert start is the onset when data lies before it (`alert-start`); else there is no onset and
 * the window start is used (`window-start`).
 *
 * The baseline is the data just before the onset (at most `maxBaselineMs` of it, `pre-onset`);
 * with no onset, the fixed earlier window when it holds data (`fixed-window`); else none. It is
 * sufficient with {@link MIN_BASELINE_MS} of data and {@link MIN_BASELINE_REQUESTS} requests.
 */
export function detectOnset(input: {
  spans: SpanRecord[];
  serviceName: string;
  alertStartsMs: number[];
  /** The incident window (the lookback up to now). */
  window: { fromMs: number; toMs: number };
  /** The fixed earlier window read as the fallback baseline. */
  fixedBaseline: { fromMs: number; toMs: number };
  maxBaselineMs: number;
  /** Whether the fixed earlier window holds any telemetry (metrics-only services have no spans). */
  fixedBaselineHasData?: boolean;
}): {
  onset: Onset;
  onsetMs: number;
  baseline: { fromMs: number; toMs: number } | null;
  /** The bucket width the series were cut in (localization uses the same). */
  bucketMs: number;
} {
  const entries = entrySpans(input.spans, input.serviceName).filter(
    s =>
      s.startTimeMs >= input.fixedBaseline.fromMs &&
      s.startTimeMs < input.window.toMs,
  );
  const firstAlertMs = input.alertStartsMs.length
    ? Math.min(...input.alertStartsMs)
    : input.window.toMs;
  const firstDataMs = entries.length
    ? Math.min(...entries.map(s => s.startTimeMs))
    : null;
  const lastDataMs = entries.length
    ? Math.max(...entries.map(s => s.startTimeMs))
    : null;

  let onsetMs: number | null = null;
  let method: Onset['method'] = 'window-start';
  let series: string | null = null;
  const bucketMs = bucketWidthMs(
    firstDataMs !== null && lastDataMs !== null
      ? lastDataMs - firstDataMs
      : input.window.toMs - input.window.fromMs,
  );
  if (firstDataMs !== null && lastDataMs !== null) {
    // Buckets are laid out from the earliest alert back, so one boundary is the alert start and
    // the layout moves with the data (not with the clock): the same telemetry shifted in time
    // gives the same onset.
    const anchorMs = Math.min(firstAlertMs, lastDataMs + 1);
    const fromMs =
      anchorMs - Math.ceil((anchorMs - firstDataMs) / bucketMs) * bucketMs;
    const buckets = redSeries(entries, fromMs, lastDataMs + 1, bucketMs);
    // The change shows before the alert fires: the split's bucket may start at most at the
    // bucket of the earliest alert.
    const lastIndex = Math.floor((firstAlertMs - fromMs) / bucketMs);
    const healthyP95 = median(
      buckets.map(b => b.p95Ms).filter((v): v is number => v !== null),
    );
    const found = [
      {
        series: 'errors' as const,
        shift: strongestShift(
          buckets.map(b => (b.requests ? b.errors / b.requests : null)),
          { floor: ERROR_RATE_FLOOR, increaseOnly: true, lastIndex },
        ),
      },
      {
        series: 'duration' as const,
        shift: strongestShift(
          buckets.map(b => b.p95Ms),
          {
            floor: Math.max(
              DURATION_FLOOR_MS,
              DURATION_FLOOR_SHARE * healthyP95,
            ),
            increaseOnly: true,
            lastIndex,
          },
        ),
      },
      {
        series: 'requests' as const,
        shift: strongestShift(
          buckets.map(b => b.requests),
          // Poisson noise of a count is its square root.
          {
            floor: Math.max(1, Math.sqrt(mean(buckets.map(b => b.requests)))),
            increaseOnly: false,
            lastIndex,
          },
        ),
      },
    ]
      .filter(f => f.shift && f.shift.statistic >= MIN_SPLIT_STATISTIC)
      .sort(
        (a, b) =>
          a.shift!.index - b.shift!.index ||
          b.shift!.statistic - a.shift!.statistic,
      );
    if (found.length) {
      onsetMs = fromMs + found[0].shift!.index * bucketMs;
      method = 'change-point';
      series = found[0].series;
    } else if (
      firstAlertMs > firstDataMs &&
      firstAlertMs <= input.window.toMs
    ) {
      onsetMs = firstAlertMs;
      method = 'alert-start';
    }
  }

  let baseline: { fromMs: number; toMs: number } | null = null;
  let baselineSource: Onset['baselineSource'] = 'none';
  if (onsetMs !== null && firstDataMs !== null && firstDataMs < onsetMs) {
    baseline = {
      fromMs: Math.max(firstDataMs, onsetMs - input.maxBaselineMs),
      toMs: onsetMs,
    };
    baselineSource = 'pre-onset';
  } else if (
    onsetMs === null &&
    entries.some(s => s.startTimeMs < input.fixedBaseline.toMs)
  ) {
    baseline = {
      fromMs: Math.max(firstDataMs!, input.fixedBaseline.fromMs),
      toMs: input.fixedBaseline.toMs,
    };
    baselineSource = 'fixed-window';
  } else if (!entries.length && input.fixedBaselineHasData) {
    // No spans to find an onset on (a metrics-only service): the fixed window is all there is.
    baseline = { ...input.fixedBaseline };
    baselineSource = 'fixed-window';
  }
  const incidentFromMs = onsetMs ?? input.window.fromMs;
  const baselineRequests = baseline
    ? entries.filter(
        s =>
          s.startTimeMs >= baseline!.fromMs && s.startTimeMs < baseline!.toMs,
      ).length
    : 0;
  const baselineMs = baseline ? baseline.toMs - baseline.fromMs : 0;
  return {
    onsetMs: incidentFromMs,
    baseline,
    bucketMs,
    onset: {
      at: onsetMs === null ? null : new Date(onsetMs).toISOString(),
      method,
      series,
      baselineWindow: baseline
        ? {
            from: new Date(baseline.fromMs).toISOString(),
            to: new Date(baseline.toMs).toISOString(),
          }
        : null,
      baselineMinutes: round(baselineMs / 60_000, 2),
      incidentMinutes: round((input.window.toMs - incidentFromMs) / 60_000, 2),
      baselineSufficient:
        baselineMs >= MIN_BASELINE_MS &&
        (entries.length
          ? baselineRequests >= MIN_BASELINE_REQUESTS
          : Boolean(input.fixedBaselineHasData)),
      baselineSource,
    },
  };
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : 0;
}

function sumSquares(values: number[], m: number): number {
  return values.reduce((s, v) => s + (v - m) ** 2, 0);
}
