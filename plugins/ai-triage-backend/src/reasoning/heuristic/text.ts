import {
  ContextDocument,
  MetricDelta,
  OperationSummary,
} from '@ai-triage/plugin-ai-triage-common';
import { UNKNOWN_DEPENDENCY } from '../../enrichment/summarizeSpans';

/** Text helpers the rule families share: how evidence is described in hypotheses. */

export const ERROR_LEVELS = new Set(['ERROR', 'FATAL']);

export function firingAlerts(context: ContextDocument): string[] {
  return context.alerts
    .filter(a => a.status === 'firing')
    .slice(0, 2)
    .map(a => a.id);
}

/**
 * Whether text names a dependency as a word, in any case, also in its singular or without a
 * `-service` / `-svc` / `-api` suffix (`payments` matches "payment declined"). Names shorter
 * than 4 characters and the unknown dependency never match.
 */
export function mentions(text: string, name: string): boolean {
  return mentionIndex(text, name) !== -1;
}

/** Where text first names a dependency (as {@link mentions} reads it), or -1. */
export function mentionIndex(text: string, name: string): number {
  if (name === UNKNOWN_DEPENDENCY) return -1;
  const base = name.toLowerCase().replace(/[-_.](service|svc|api)$/, '');
  const stems = unique([
    name.toLowerCase(),
    base,
    base.replace(/s$/, ''),
  ]).filter(stem => stem.length >= 4);
  const lower = text.toLowerCase();
  const found = stems
    .map(stem => {
      const escaped = stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const match = new RegExp(`(^|[^a-z0-9])${escaped}([^a-z0-9]|$)`).exec(
        lower,
      );
      return match ? match.index + match[1].length : -1;
    })
    .filter(index => index !== -1);
  return found.length ? Math.min(...found) : -1;
}

export function metricText(metric: MetricDelta): string {
  return `${metric.metric} ${Object.values(metric.attributes).join(' ')}`;
}

export function describeOperation(o: OperationSummary): string {
  return `${o.operation}: ${o.spanCount} spans, ${percent(
    o.errorRate,
  )} errors, p95 ${ms(o.p95Ms)}`;
}

export function describeDelta(metric: MetricDelta): string {
  const limit =
    typeof metric.limit === 'number' && metric.limit > 0
      ? ` of a limit of ${round(metric.limit)}`
      : '';
  return metric.baseline === null
    ? `${metric.id} at ${round(metric.current)}${limit}`
    : `${metric.id} from ${round(metric.baseline)} to ${round(
        metric.current,
      )}${limit} (${riseOf(metric)})`;
}

export function riseOf(metric: MetricDelta): string {
  if (metric.baseline === null) return `at ${round(metric.current)}`;
  if (metric.baseline === 0) return `from 0 to ${round(metric.current)}`;
  return rise(metric.changeRatio ?? 0);
}

export function literalPrefix(template: string): string {
  const prefix = template.split('<*>')[0].trim();
  return (prefix || template).slice(0, 60).replace(/"/g, '\\"');
}

/** `+35%`, or `x18.4` for rises beyond doubling. */
export function rise(changeRatio: number): string {
  return changeRatio >= 1
    ? `x${Math.round((1 + changeRatio) * 10) / 10}`
    : `+${percent(changeRatio)}`;
}

export function possessive(name: string): string {
  return name.endsWith('s') ? `${name}'` : `${name}'s`;
}

export function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

export function ms(value: number): string {
  return value >= 1000 ? `${round(value / 1000)} s` : `${round(value)} ms`;
}

/** The time of day of an ISO timestamp: `10:04:00Z`. */
export function time(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(iso)
    ? `${iso.slice(11, 19)}Z`
    : iso;
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The parts that are not `false`, as one paragraph. */
export function sentences(...parts: Array<string | false | undefined>): string {
  return parts.filter(Boolean).join(' ');
}

export function unique(values: string[]): string[] {
  return [...new Set(values)];
}
