import {
  CriticalPath,
  DependencySummary,
  OperationSummary,
} from '@ai-triage/plugin-ai-triage-common';
import { SpanRecord } from '@ai-triage/plugin-ai-triage-node';
import { RedactionTally, Redactor } from './redact';
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
const MAX_NAME_LENGTH = 200;
/** How many of the slowest traces get their critical path in the document. */
const CRITICAL_PATHS = 3;
/** Steps of one critical path; deeper ones are left out. */
const MAX_CRITICAL_PATH_STEPS = 12;

/** What summarizeSpans needs besides the spans. */
type SpanSummaryOptions = {
  serviceName: string;
  redactor: Redactor;
  tally: RedactionTally;
};

/** Ties a log record to the evidence of the span it was written in. */
export type SpanLinker = (traceId: string, spanId: string | null) => string[];

const isEntry = (span: SpanRecord) =>
  span.kind === KIND.server || span.kind === KIND.consumer;
const isOperation = (span: SpanRecord) =>
  span.kind !== KIND.client && span.kind !== KIND.producer;
const isError = (span: SpanRecord) => span.statusCode === STATUS_ERROR;

/**
 * The span view of one service: its operations (server, consumer and internal spans, by name)
 * and its dependencies (client spans, by the peer they call), each with error counts, latency
 * and the same figures in the baseline window; and the critical path of its slowest traces.
 *
 * A dependency's `latencyShare` is the time its client spans took over the time of the
 * service's server and consumer spans, at most 1; its `errorShare` is the share of the service's
 * failed entry spans whose trace holds a failed call to it. Spans of other services (whole traces
 * from a trace back-end) count only on critical paths. Names are redacted before they become
 * ids. `link` ties a log record's trace and span id to the operations and dependencies.
 */
export function summarizeSpans(
  spans: SpanRecord[],
  /** The baseline window's spans; undefined when they were not read (no baseline figures then). */
  baselineSpans: SpanRecord[] | undefined,
  options: SpanSummaryOptions,
): {
  operations: OperationSummary[];
  dependencies: DependencySummary[];
  criticalPaths: CriticalPath[];
  link: SpanLinker;
} {
  const { serviceName, redactor, tally } = options;
  const names = new Map<string, string>();
  const name = (raw: string) => {
    let redacted = names.get(raw);
    if (redacted === undefined) {
      redacted = redactor.redact(clip(raw, MAX_NAME_LENGTH), tally);
      names.set(raw, redacted);
    }
    return redacted;
  };
  const own = spans.filter(span => span.serviceName === serviceName);
  const ownBaseline = (baselineSpans ?? []).filter(
    span => span.serviceName === serviceName,
  );
  const operationOf = (span: SpanRecord) => name(span.name);
  const dependencyOf = (span: SpanRecord) =>
    name(span.peerService ?? UNKNOWN_DEPENDENCY);

  const entryTimeMs = own
    .filter(isEntry)
    .reduce((sum, span) => sum + span.durationMs, 0);
  const failedEntryTraces = new Set(
    own.filter(span => isEntry(span) && isError(span)).map(s => s.traceId),
  );

  const baselineOperations = groupBy(
    ownBaseline.filter(isOperation),
    operationOf,
  );
  const operations = [...groupBy(own.filter(isOperation), operationOf)].map(
    ([operation, group]): OperationSummary => {
      const durations = sortedDurations(group);
      const errors = group.filter(isError);
      const message = mostFrequent(errors.map(span => span.statusMessage));
      const before = baselineOperations.get(operation) ?? [];
      return {
        id: `op:${operation}`,
        operation,
        spanCount: group.length,
        errorCount: errors.length,
        errorRate: round(errors.length / group.length, 4),
        p50Ms: round(percentile(durations, 0.5)),
        p95Ms: round(percentile(durations, 0.95)),
        maxMs: round(durations[durations.length - 1]),
        sampleError:
          message === null
            ? null
            : redactor.redact(clip(message, MAX_SAMPLE_ERROR_LENGTH), tally),
        service: serviceName,
        ...(baselineSpans ? baselineFigures(before) : {}),
      };
    },
  );
  operations.sort(
    (a, b) =>
      b.errorCount - a.errorCount ||
      b.p95Ms - a.p95Ms ||
      compareText(a.operation, b.operation),
  );

  const isCall = (span: SpanRecord) => span.kind === KIND.client;
  const baselineDependencies = groupBy(
    ownBaseline.filter(isCall),
    dependencyOf,
  );
  const dependencies = [...groupBy(own.filter(isCall), dependencyOf)].map(
    ([dependency, group]): DependencySummary => {
      const durations = sortedDurations(group);
      const errors = group.filter(isError);
      const clientTimeMs = durations.reduce((sum, d) => sum + d, 0);
      const failedHere = new Set(
        errors
          .map(span => span.traceId)
          .filter(traceId => failedEntryTraces.has(traceId)),
      );
      const before = baselineDependencies.get(dependency) ?? [];
      const baseline = baselineFigures(before);
      return {
        id: `dep:${dependency}`,
        dependency,
        callCount: group.length,
        errorCount: errors.length,
        errorRate: round(errors.length / group.length, 4),
        p95Ms: round(percentile(durations, 0.95)),
        latencyShare:
          entryTimeMs > 0
            ? round(Math.min(1, clientTimeMs / entryTimeMs), 4)
            : 0,
        errorShare:
          failedEntryTraces.size > 0
            ? round(failedHere.size / failedEntryTraces.size, 4)
            : 0,
        ...(baselineSpans
          ? {
              baselineCallCount: baseline.baselineSpanCount,
              baselineErrorCount: baseline.baselineErrorCount,
              baselineP95Ms: baseline.baselineP95Ms,
            }
          : {}),
      };
    },
  );
  dependencies.sort(
    (a, b) =>
      b.latencyShare - a.latencyShare ||
      b.errorCount - a.errorCount ||
      b.p95Ms - a.p95Ms ||
      compareText(a.dependency, b.dependency),
  );

  return {
    operations,
    dependencies,
    criticalPaths: criticalPaths(spans, own, name),
    link: linker(own, operationOf, dependencyOf),
  };
}

function baselineFigures(spans: SpanRecord[]): {
  baselineSpanCount: number;
  baselineErrorCount: number;
  baselineP95Ms: number | null;
} {
  return {
    baselineSpanCount: spans.length,
    baselineErrorCount: spans.filter(isError).length,
    baselineP95Ms: spans.length
      ? round(percentile(sortedDurations(spans), 0.95))
      : null,
  };
}

/**
 * The critical paths of the traces of the service's slowest entry spans: from the root of each
 * trace down, at every span the child that ended last (the one its parent waited for), with the
 * time the span spent outside that child.
 */
function criticalPaths(
  spans: SpanRecord[],
  own: SpanRecord[],
  name: (raw: string) => string,
): CriticalPath[] {
  const slowest: SpanRecord[] = [];
  const slower = (a: SpanRecord, b: SpanRecord) =>
    b.durationMs - a.durationMs || compareText(a.traceId, b.traceId);
  const seenTraces = new Set<string>();
  const entries = own.filter(isEntry);
  for (const span of entries.length ? entries : own) {
    // Keep the slowest entry span of each of the CRITICAL_PATHS slowest traces.
    if (
      slowest.length === CRITICAL_PATHS &&
      slower(span, slowest[slowest.length - 1]) >= 0
    ) {
      continue;
    }
    const existing = slowest.findIndex(s => s.traceId === span.traceId);
    if (existing >= 0) {
      if (slower(span, slowest[existing]) >= 0) continue;
      slowest.splice(existing, 1);
    }
    slowest.push(span);
    slowest.sort(slower);
    if (slowest.length > CRITICAL_PATHS) slowest.pop();
  }
  for (const span of slowest) seenTraces.add(span.traceId);

  const byTrace = new Map<string, SpanRecord[]>();
  for (const span of spans) {
    if (!seenTraces.has(span.traceId)) continue;
    const trace = byTrace.get(span.traceId);
    if (trace) trace.push(span);
    else byTrace.set(span.traceId, [span]);
  }

  return slowest.map(entry => {
    const trace = byTrace.get(entry.traceId) ?? [entry];
    const ids = new Set(trace.map(span => span.spanId));
    const children = new Map<string, SpanRecord[]>();
    for (const span of trace) {
      if (span.parentSpanId && ids.has(span.parentSpanId)) {
        const siblings = children.get(span.parentSpanId);
        if (siblings) siblings.push(span);
        else children.set(span.parentSpanId, [span]);
      }
    }
    const endOf = (span: SpanRecord) => span.startTimeMs + span.durationMs;
    const lastToEnd = (candidates: SpanRecord[]) =>
      candidates.reduce((last, span) =>
        endOf(span) > endOf(last) ||
        (endOf(span) === endOf(last) &&
          compareText(span.spanId, last.spanId) < 0)
          ? span
          : last,
      );
    const roots = trace.filter(
      span => !span.parentSpanId || !ids.has(span.parentSpanId),
    );
    let current: SpanRecord | undefined = lastToEnd(
      roots.length ? roots : [entry],
    );
    const steps: CriticalPath['steps'] = [];
    while (current && steps.length < MAX_CRITICAL_PATH_STEPS) {
      const next: SpanRecord | undefined = children.has(current.spanId)
        ? lastToEnd(children.get(current.spanId)!)
        : undefined;
      steps.push({
        service: name(current.serviceName),
        operation: name(current.name),
        durationMs: round(current.durationMs),
        selfMs: round(
          Math.max(0, current.durationMs - (next ? next.durationMs : 0)),
        ),
        error: isError(current),
      });
      current = next;
    }
    const root = lastToEnd(roots.length ? roots : [entry]);
    return {
      id: `trace:${entry.traceId}`,
      traceId: entry.traceId,
      durationMs: round(root.durationMs),
      error: trace.some(isError),
      steps,
    };
  });
}

/** Log records to evidence: the span they were written in, else their trace's entry operations. */
function linker(
  own: SpanRecord[],
  operationOf: (span: SpanRecord) => string,
  dependencyOf: (span: SpanRecord) => string,
): SpanLinker {
  const evidenceOf = (span: SpanRecord): string | null => {
    if (isOperation(span)) return `op:${operationOf(span)}`;
    if (span.kind === KIND.client) return `dep:${dependencyOf(span)}`;
    return null;
  };
  const bySpan = new Map<string, SpanRecord>();
  const entriesByTrace = new Map<string, SpanRecord[]>();
  for (const span of own) {
    bySpan.set(`${span.traceId}/${span.spanId}`, span);
    if (isEntry(span)) {
      const entries = entriesByTrace.get(span.traceId);
      if (entries) entries.push(span);
      else entriesByTrace.set(span.traceId, [span]);
    }
  }
  return (traceId, spanId) => {
    const span = spanId ? bySpan.get(`${traceId}/${spanId}`) : undefined;
    const linked = span ? [span] : entriesByTrace.get(traceId) ?? [];
    return [
      ...new Set(
        linked.map(evidenceOf).filter((id): id is string => id !== null),
      ),
    ].sort(compareText);
  };
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
