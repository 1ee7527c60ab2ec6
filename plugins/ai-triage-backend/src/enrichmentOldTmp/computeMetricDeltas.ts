import { MetricDelta } from '@ai-triage/plugin-ai-triage-common';
import { MetricPoint } from '@ai-triage/plugin-ai-triage-node';
import { RedactionTally, Redactor } from './redact';
import { compareText, round, roundSignificant } from './stats';

type Series = {
  name: string;
  attributes: Record<string, string>;
  sum: number;
  count: number;
};

/** `metric:<name>{k=v,...}` with keys sorted; `metric:<name>` for a series without attributes. */
export function metricDeltaId(
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
    } else {
      series.set(id, {
        name: point.name,
        attributes,
        sum: point.value,
        count: 1,
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
