import { MetricDelta } from '@ai-triage/plugin-ai-triage-common';
import { MetricPoint } from '@ai-triage/plugin-ai-triage-node';
import { RedactionTally, Redactor } from './redact';
import { compareText, robustZ, round, roundSignificant } from './stats';

type Series = {
  name: string;
  attributes: Record<string, string>;
  sum: number;
  count: number;
  values: number[];
};

/**
 * Noise floor of a metric's robust score: 5 % of its level, the floor localization uses for own
 * time (a healthy gauge is often constant, MAD 0, and a few percent is the jitter of one export
 * interval's sample); taken of the larger of baseline median and current, so a count up from a
 * constant 0 still scores (1 / 0.05 = 20).
 */
const NOISE_FLOOR_SHARE = 0.05;
/** A median and MAD of fewer points is no statistic (as MIN_BASELINE_BUCKETS in localization). */
export const MIN_BASELINE_POINTS = 3;
/**
 * A robust z of 3 (3 scaled MADs from the baseline median) is the usual outlier cut-off, the
 * same bar as localization's MIN_ANOMALY_SCORE: for normal noise 1.4826 x MAD estimates sigma,
 * and 3 sigma leaves 0.13 % on one side.
 */
export const MIN_METRIC_ANOMALY_SCORE = 3;

/**
 * Whether a metric's incident value lies within its baseline's own noise (a known anomaly score
 * below MIN_METRIC_ANOMALY_SCORE): then neither its rise nor its nearness to a limit is evidence
 * of this incident, since the baseline already went as far (a pool that runs full now and then
 * on a loaded machine). Not applied to cpuStarved, a caveat on measurement rather than a
 * claim of change. False when the noise is unknown (too few baseline points): the ratio
 * and limit readings decide, capped by the missing baseline where they need one.
 */
export function withinBaselineNoise(delta: MetricDelta): boolean {
  return (
    typeof delta.anomalyScore === 'number' &&
    delta.anomalyScore < MIN_METRIC_ANOMALY_SCORE
  );
}

/**
 * Robust z of `current` against the baseline points (see MetricDelta.anomalyScore); null with
 * fewer than MIN_BASELINE_POINTS points.
 */
export function metricAnomalyScore(
  baseline: number[],
  current: number,
): number | null {
  if (baseline.length < MIN_BASELINE_POINTS) return null;
  // A series of whole numbers (connections, pending requests, threads) cannot resolve less than
  // one: a baseline of constant 0 then says its noise is below 1, not that it is 0.
  const resolution = baseline.every(Number.isInteger) ? 1 : 0;
  return robustZ(baseline, current, med =>
    Math.max(
      resolution,
      NOISE_FLOOR_SHARE * Math.max(Math.abs(med), Math.abs(current)),
    ),
  );
}

/** `metric:<name>{k=v,...}` with keys sorted; `metric:<name>` for a series without attributes. */
function metricDeltaId(
  name: string,
  attributes: Record<string, string>,
): string {
  const labels = Object.keys(attributes)
    .sort(compareText)
    .map(key => `${key}=${attributes[key]}`)
    .join(',');
  return labels ? `metric:${name}{${labels}}` : `metric:${name}`;
}

function seriesOf(
  points: MetricPoint[],
  redactValue: (value: string) => string,
): Map<string, Series> {
  const series = new Map<string, Series>();
  for (const point of points) {
    const attributes: Record<string, string> = {};
    for (const key of Object.keys(point.attributes).sort(compareText)) {
      attributes[key] = redactValue(String(point.attributes[key]));
    }
    const id = metricDeltaId(point.name, attributes);
    const existing = series.get(id);
    if (existing) {
      existing.sum += point.value;
      existing.count += 1;
      existing.values.push(point.value);
    } else {
      series.set(id, {
        name: point.name,
        attributes,
        sum: point.value,
        count: 1,
        values: [point.value],
      });
    }
  }
  return series;
}

/**
 * One delta per metric series (name and attributes) seen in the incident window: its mean there
 * against its mean in the baseline window, in plain numbers. `change` is current - baseline;
 * `changeRatio` is current / baseline - 1, null when the baseline has no points or a mean of 0.
 * A series that rose from a baseline of 0 comes first (the largest rise first), then the largest
 * relative change; series without a baseline come last. Attribute values are redacted (once per
 * distinct value, counted once each).
 */
export function computeMetricDeltas(
  current: MetricPoint[],
  baseline: MetricPoint[],
  options: { redactor?: Redactor; tally?: RedactionTally } = {},
): MetricDelta[] {
  const { redactor, tally } = options;
  const redacted = new Map<string, string>();
  const redactValue = (value: string) => {
    if (!redactor) return value;
    let masked = redacted.get(value);
    if (masked === undefined) {
      masked = redactor.redact(value, tally);
      redacted.set(value, masked);
    }
    return masked;
  };
  const before = seriesOf(baseline, redactValue);
  const deltas = [...seriesOf(current, redactValue)].map(
    ([id, series]): MetricDelta => {
      const currentMean = series.sum / series.count;
      const base = before.get(id);
      const baselineMean = base ? base.sum / base.count : null;
      const anomalyScore = base
        ? metricAnomalyScore(base.values, currentMean)
        : null;
      const changeRatio =
        baselineMean === null || baselineMean === 0
          ? null
          : currentMean / baselineMean - 1;
      return {
        id,
        metric: series.name,
        attributes: series.attributes,
        baseline: baselineMean === null ? null : roundSignificant(baselineMean),
        current: roundSignificant(currentMean),
        changeRatio: changeRatio === null ? null : round(changeRatio, 4),
        change:
          baselineMean === null
            ? null
            : roundSignificant(currentMean - baselineMean),
        anomalyScore: anomalyScore === null ? null : round(anomalyScore, 2),
      };
    },
  );
  const fromZero = (delta: MetricDelta) =>
    delta.baseline === 0 && delta.current !== 0 ? Math.abs(delta.current) : 0;
  const change = (delta: MetricDelta) =>
    delta.changeRatio === null ? -1 : Math.abs(delta.changeRatio);
  return deltas.sort(
    (a, b) =>
      fromZero(b) - fromZero(a) ||
      change(b) - change(a) ||
      compareText(a.id, b.id),
  );
}

/** Name tokens that make a series a limit (`db.client.connection.max`, `..._limit_bytes`). */
const LIMIT_TOKENS = new Set(['max', 'limit', 'limits', 'capacity', 'spec']);
/**
 * Name tokens a series may add to its limit's stem and still be what the limit bounds: a count
 * or amount in use (`db.client.connection.count`, `container_memory_working_set_bytes`,
 * `v8js.memory.heap.used`), not a rate, time or queue length.
 */
const USAGE_TOKENS = new Set([
  'count',
  'usage',
  'used',
  'use',
  'in',
  'current',
  'active',
  'bytes',
  'total',
  'working',
  'set',
  'value',
]);
/** Attribute values of a series that counts what is free, which no limit saturates. */
const FREE_STATES = new Set(['idle', 'free', 'available']);
/**
 * Share of its limit from which a series is near it: 90 % is where the common saturation
 * alerts fire (kube-prometheus' KubeQuota/Filesystem "almost full" rules, pool dashboards).
 */
export const NEAR_LIMIT_SHARE = 0.9;

/**
 * Metrics of how busy a process's CPU is, as fractions of 1: a Node event loop's utilization
 * (nodejs.eventloop.utilization of instrumentation-runtime-node), CPU utilization or usage.
 */
const CPU_UTILIZATION =
  /event_?loop[._]utilization|cpu[._](utilization|usage)/i;
/**
 * A process starves itself of CPU from half utilization on when that half is new: a run queue
 * (an event loop, a core) with utilization u makes every callback wait about u / (1 - u) times
 * its own work (M/M/1), so from 0.5 each callback waits as long as it runs, and the time of
 * every call the process makes includes that wait. "New" is a rise by half against the
 * baseline (the saturation rule's bar for a rise), so a process busy by design is not read as
 * starved.
 */
const BUSY_UTILIZATION = 0.5;
const BUSY_RISE = 0.5;

/**
 * Whether a metric shows the process starved of CPU: a CPU or event-loop utilization near its
 * limit (see NEAR_LIMIT_SHARE), or from BUSY_UTILIZATION on after a rise by BUSY_RISE.
 */
export function cpuStarved(delta: MetricDelta): boolean {
  if (!CPU_UTILIZATION.test(delta.metric)) return false;
  // Not gated by the baseline's noise (see withinBaselineNoise): starvation here is a caveat on
  // what the process's own client spans measure now (M/M/1: at 0.5 each callback waits as long
  // as it runs), which holds whether or not it was as busy before the onset.

  const limit = delta.limit ?? 1;
  if (delta.current >= NEAR_LIMIT_SHARE * limit) return true;
  return (
    delta.current >= BUSY_UTILIZATION * limit &&
    delta.baseline !== null &&
    (delta.changeRatio ?? 0) >= BUSY_RISE
  );
}

/** Semantic conventions define `*.utilization` metrics as fractions of their limit (1). */
const UTILIZATION = /[._]utilization$/;

const tokensOf = (name: string) => name.toLowerCase().split(/[._]/);

/**
 * Reads every series against its limit where the same service exports one: a limit series
 * (a name with `max`, `limit` or `capacity`) bounds the series whose name is its stem plus
 * usage words only, with the limit's attributes. The limit's mean in the incident window is
 * set as `limit`; series near it (see NEAR_LIMIT_SHARE) move to the front, since a value near
 * its limit can be evidence even without a baseline (with errors, restarts or the wait besides;
 * see isNearLimit in reasoning/heuristic/saturation.ts).
 */
export function attachLimits(deltas: MetricDelta[]): MetricDelta[] {
  const limits = deltas.filter(
    d =>
      !UTILIZATION.test(d.metric) &&
      tokensOf(d.metric).some(token => LIMIT_TOKENS.has(token)),
  );
  const withLimits = deltas.map(delta => {
    if (limits.includes(delta)) return delta;
    if (Object.values(delta.attributes).some(v => FREE_STATES.has(v))) {
      return delta;
    }
    const tokens = tokensOf(delta.metric);
    const limit = limits.find(candidate => {
      if ((candidate.service ?? '') !== (delta.service ?? '')) return false;
      const stem = tokensOf(candidate.metric).filter(t => !LIMIT_TOKENS.has(t));
      const rest = tokens.filter(t => !stem.includes(t));
      return (
        stem.every(t => tokens.includes(t)) &&
        rest.every(t => USAGE_TOKENS.has(t)) &&
        Object.entries(candidate.attributes).every(
          ([key, value]) => delta.attributes[key] === value,
        )
      );
    });
    if (limit && limit.current > 0) return { ...delta, limit: limit.current };
    return UTILIZATION.test(delta.metric) ? { ...delta, limit: 1 } : delta;
  });
  const near = (d: MetricDelta) =>
    d.limit ? Number(d.current >= NEAR_LIMIT_SHARE * d.limit) : 0;
  // Stable: the order computeMetricDeltas gave, near-limit series first.
  return withLimits
    .map((delta, index) => ({ delta, index }))
    .sort((a, b) => near(b.delta) - near(a.delta) || a.index - b.index)
    .map(({ delta }) => delta);
}
