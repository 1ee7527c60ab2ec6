import {
  DependencySummary,
  OperationSummary,
} from '@ai-triage/plugin-ai-triage-common';
import { SpanRecord } from '@ai-triage/plugin-ai-triage-node';
import { redact } from './redact';
import { clip, compareText, percentile, round } from './stats';

/** OTLP span kinds. UNSPECIFIED counts as INTERNAL, as the specification says. */
const KIND = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};
/** OTLP StatusCode ERROR. */
const STATUS_ERROR = 2;

/** Name under which client spans that name no peer are grouped. */
export const UNKNOWN_DEPENDENCY = 'unknown';

const MAX_SAMPLE_ERROR_LENGTH = 300;

/**
 * The span view of one service: its operations (server, consumer and internal spans, by name)
 * and its dependencies (client spans, by the peer they call), each with error counts and
 * latency. A dependency's `latencyShare` is the time its client spans took over the time of the
 * service's server and consumer spans, at most 1. Spans of other services (whole traces from a
 * trace back-end) are ignored.
 */
export function summarizeSpans(
  spans: SpanRecord[],
  serviceName: string,
): {
  operations: OperationSummary[];
  dependencies: DependencySummary[];
  redactions: number;
} {
  const own = spans.filter(span => span.serviceName === serviceName);
  const entryTimeMs = own
    .filter(span => span.kind === KIND.server || span.kind === KIND.consumer)
    .reduce((sum, span) => sum + span.durationMs, 0);

  let redactions = 0;
  const operations = [
    ...groupBy(
      own.filter(
        span => span.kind !== KIND.client && span.kind !== KIND.producer,
      ),
      span => span.name,
    ),
  ].map(([operation, group]): OperationSummary => {
    const durations = sortedDurations(group);
    const errors = group.filter(span => span.statusCode === STATUS_ERROR);
    const message = mostFrequent(errors.map(span => span.statusMessage));
    let sampleError: string | null = null;
    if (message !== null) {
      const redacted = redact(clip(message, MAX_SAMPLE_ERROR_LENGTH));
      redactions += redacted.count;
      sampleError = redacted.text;
    }
    return {
      id: `op:${operation}`,
      operation,
      spanCount: group.length,
      errorCount: errors.length,
      errorRate: round(errors.length / group.length, 4),
      p50Ms: round(percentile(durations, 0.5)),
      p95Ms: round(percentile(durations, 0.95)),
      maxMs: round(durations[durations.length - 1]),
      sampleError,
    };
  });
  operations.sort(
    (a, b) =>
      b.errorCount - a.errorCount ||
      b.p95Ms - a.p95Ms ||
      compareText(a.operation, b.operation),
  );

  const dependencies = [
    ...groupBy(
      own.filter(span => span.kind === KIND.client),
      span => span.peerService ?? UNKNOWN_DEPENDENCY,
    ),
  ].map(([dependency, group]): DependencySummary => {
    const durations = sortedDurations(group);
    const errorCount = group.filter(
      span => span.statusCode === STATUS_ERROR,
    ).length;
    const clientTimeMs = durations.reduce((sum, d) => sum + d, 0);
    return {
      id: `dep:${dependency}`,
      dependency,
      callCount: group.length,
      errorCount,
      errorRate: round(errorCount / group.length, 4),
      p95Ms: round(percentile(durations, 0.95)),
      latencyShare:
        entryTimeMs > 0 ? round(Math.min(1, clientTimeMs / entryTimeMs), 4) : 0,
    };
  });
  dependencies.sort(
    (a, b) =>
      b.latencyShare - a.latencyShare ||
      b.errorCount - a.errorCount ||
      b.p95Ms - a.p95Ms ||
      compareText(a.dependency, b.dependency),
  );

  return { operations, dependencies, redactions };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function sortedDurations(spans: SpanRecord[]): number[] {
  return spans.map(span => span.durationMs).sort((a, b) => a - b);
}

/** The most frequent non-empty value; ties go to the one that sorts first. */
function mostFrequent(values: Array<string | null>): string | null {
  const counts = new Map<string, number>();
  for (const value of values) {
    if (value) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  let best: string | null = null;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (
      count > bestCount ||
      (count === bestCount && best !== null && value < best)
    ) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}
