import { MetricDelta } from '@ai-triage/plugin-ai-triage-common';
import { MetricPoint } from '@ai-triage/plugin-ai-triage-node';
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

function seriesOf(points: MetricPoint[]): Map<string, Series> {
  const series = new Map<string, Series>();
  for (const point of points) {
    const attributes: Record<string, string> = {};
    for (const key of Object.keys(point.attributes).sort(compareText)) {
      attributes[key] = String(point.attributes[key]);
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
 * against its mean in the baseline window. `changeRatio` is current / baseline - 1; it is null
 * when the baseline has no points or a mean of 0. Largest change first, series without a ratio
 * last.
 */
export function computeMetricDeltas(
  current: MetricPoint[],
  baseline: MetricPoint[],
): MetricDelta[] {
  const before = seriesOf(baseline);
  const deltas = [...seriesOf(current)].map(([id, series]): MetricDelta => {
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
    };
  });
  const change = (delta: MetricDelta) =>
    delta.changeRatio === null ? -1 : Math.abs(delta.changeRatio);
  return deltas.sort(
    (a, b) => change(b) - change(a) || compareText(a.id, b.id),
  );
}
