import {
  ChangeEvent,
  IncidentDetailResponse,
  MetricDelta,
  Onset,
} from '@ai-triage/plugin-ai-triage-common';
import { metricName } from './evidence';

/** A span of time in epoch milliseconds. */
type TimeSpan = { from: number; to: number };

/** One alert's firing span; `to` null while it still fires. */
type TimelineAlert = {
  id: string;
  name: string;
  from: number;
  to: number | null;
};

/**
 * A key metric of one service as two levels: the baseline's before the onset and the incident
 * window's after it (the context holds the levels, not minute-by-minute points).
 */
export type TimelineSeries = {
  id: string;
  service: string;
  label: string;
  baseline: number | null;
  current: number;
  /** Where the baseline level holds. */
  baselineSpan: TimeSpan | null;
  /** Where the incident level holds: from the onset (or window start) to the window end. */
  currentSpan: TimeSpan;
};

/** @internal */
export type Timeline = {
  range: TimeSpan;
  baseline: (TimeSpan & { source: Onset['baselineSource'] | 'context' }) | null;
  onset: { at: number; method: Onset['method']; series: string | null } | null;
  alerts: TimelineAlert[];
  changes: Array<ChangeEvent & { time: number }>;
  series: TimelineSeries[];
  /** The series' services: the origin first, then the alerted service. */
  services: string[];
};

/** Key metrics shown per service. */
const SERIES_PER_SERVICE = 2;

const time = (iso: string) => Date.parse(iso);

/** How much a delta moved, for picking the telling ones: relative change, new ones first. */
function movement(delta: MetricDelta): number {
  if (delta.changeRatio === null) return Number.POSITIVE_INFINITY;
  return Math.abs(delta.changeRatio);
}

/**
 * Everything the incident view puts on one time axis: the baseline window, the onset, the
 * alerts, the deploys and the key metrics of the origin and the alerted service. Null without a
 * context (nothing was collected yet).
 *
 * @internal
 */
export function timelineOf(detail: IncidentDetailResponse): Timeline | null {
  const { context } = detail;
  if (!context) {
    return null;
  }
  const onset = context.onset;
  const window = {
    from: time(context.window.from),
    to: time(context.window.to),
  };

  let baseline: Timeline['baseline'] = null;
  if (onset) {
    baseline = onset.baselineWindow
      ? {
          from: time(onset.baselineWindow.from),
          to: time(onset.baselineWindow.to),
          source: onset.baselineSource,
        }
      : null;
  } else {
    baseline = {
      from: time(context.baselineWindow.from),
      to: time(context.baselineWindow.to),
      source: 'context',
    };
  }
  const onsetAt = onset?.at ? time(onset.at) : null;

  const alerts: TimelineAlert[] = detail.alerts.map(alert => ({
    id: alert.id,
    name: alert.name,
    from: time(alert.startsAt),
    to: alert.endsAt ? time(alert.endsAt) : null,
  }));
  const changes = (context.changes ?? []).map(change => ({
    ...change,
    time: time(change.at),
  }));

  const alerted = context.serviceName;
  const origin =
    context.localization?.origin ?? detail.incident.probableOrigin ?? null;
  const services = [...(origin && origin !== alerted ? [origin] : []), alerted];
  const incidentFrom = onsetAt ?? window.from;
  const series: TimelineSeries[] = services.flatMap(service =>
    context.metricDeltas
      .filter(delta => (delta.service ?? alerted) === service)
      .sort((a, b) => movement(b) - movement(a))
      .slice(0, SERIES_PER_SERVICE)
      .map(delta => ({
        id: delta.id,
        service,
        label: metricName(delta),
        baseline: delta.baseline,
        current: delta.current,
        baselineSpan: baseline
          ? { from: baseline.from, to: baseline.to }
          : null,
        currentSpan: { from: incidentFrom, to: window.to },
      })),
  );

  const instants = [
    window.from,
    window.to,
    ...(baseline ? [baseline.from, baseline.to] : []),
    ...(onsetAt !== null ? [onsetAt] : []),
    ...alerts.flatMap(a => (a.to === null ? [a.from] : [a.from, a.to])),
    ...changes.map(c => c.time),
  ].filter(Number.isFinite);
  const range = { from: Math.min(...instants), to: Math.max(...instants) };
  if (range.to === range.from) range.to = range.from + 60_000;

  return {
    range,
    baseline,
    onset: onset?.at
      ? { at: time(onset.at), method: onset.method, series: onset.series }
      : null,
    alerts,
    changes,
    series,
    services,
  };
}
