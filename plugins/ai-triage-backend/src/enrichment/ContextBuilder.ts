import {
  Alert,
  ContextDocument,
  Onset,
  SEVERITIES,
} from '@ai-triage/plugin-ai-triage-common';
import { SpanRecord, TelemetryResult } from '@ai-triage/plugin-ai-triage-node';
import { attachLimits, computeMetricDeltas } from './computeMetricDeltas';
import { ServiceTelemetry, localizeContext } from './localizeContext';
import { estimateTokens, fitToBudget, withSize } from './fitToBudget';
import {
  RedactionOptions,
  RedactionTally,
  Redactor,
  tallyTotal,
  redactDocument,
} from './redact';
import { clip, compareText } from './stats';
import { CountedLogs, summarizeLogs } from './summarizeLogs';
import { summarizeSpans } from './summarizeSpans';

/**
 * Everything enrichment collected for one incident. `baseline` is the telemetry of
 * `baselineWindow` (an equally long window before the incident): its metrics give the metric
 * deltas, its logs and spans the `baselineCount` of log templates and the baseline figures of
 * operations and dependencies, so a new error can be told from a steady one. Leave out a signal
 * the baseline was not read for.
 */
export type ContextBuildInput = {
  incidentId: string;
  serviceName: string;
  alerts: Array<Alert & { id: string }>;
  window: { fromMs: number; toMs: number };
  baselineWindow: { fromMs: number; toMs: number };
  current: TelemetryResult;
  baseline: TelemetryResult;
  /** What could not be collected (a provider that failed, and why). */
  missing: string[];
  /** What was collected only in part (signals that hit a provider's limit). */
  truncated: string[];
  /**
   * Logs of providers that count them as they arrive (the embedded store): their template
   * counts come from these counts; their records are in `countedLogs.sampled`, not in
   * `current.logs`. `complete` is false when a provider returned only its most frequent shapes.
   */
  countedLogs?: CountedLogs & { complete: boolean };
  /** When the fault began and the baseline compared with (see detectOnset). */
  onset?: Onset;
  /**
   * Cross-service localization: the spans of every service in the traces through the alerted
   * one (both windows), the telemetry of the services the walk visited (split at the onset like
   * the alerted one's), the bucket width of the onset's series and the walk's depth.
   */
  localization?: {
    graphSpans: SpanRecord[];
    services: ServiceTelemetry[];
    /** The baseline compared with, null when there is none. */
    baselineWindow: { fromMs: number; toMs: number } | null;
    bucketMs: number;
    maxDepth: number;
    /** Catalog entity refs of services by name. */
    entityRefs?: Record<string, string>;
    /** Catalog `dependsOn` edges between services by name. */
    catalogEdges?: Array<{ from: string; to: string }>;
  };
};

const DEFAULT_MAX_CONTEXT_BYTES = 32_768;
/** Below this a document might not hold its own header, alerts aside. */
const MIN_MAX_CONTEXT_BYTES = 8_192;
/** Default token budget: what a 32 KiB document of evidence JSON comes to, with room. */
const DEFAULT_MAX_CONTEXT_TOKENS = 12_000;
const MIN_MAX_CONTEXT_TOKENS = estimateTokens(MIN_MAX_CONTEXT_BYTES);

const MAX_NOTES = 10;
const MAX_NOTE_LENGTH = 200;
const MAX_SUMMARY_LENGTH = 300;

/**
 * Turns an incident's alerts and telemetry into its context document: alerts, operations and
 * dependencies from spans (with their baseline figures and the critical paths of the slowest
 * traces), log templates tied to traces, metric deltas against the baseline window, with secrets
 * redacted and the whole document held to `maxBytes` of JSON and `maxTokens` estimated tokens.
 * Deterministic: the same input in any order gives a byte-identical document, every list sorted
 * most significant first, every evidence id derived from what it names.
 */
export class ContextBuilder {
  static create(
    options: {
      maxBytes?: number;
      maxTokens?: number;
      redaction?: RedactionOptions;
    } = {},
  ): ContextBuilder {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_CONTEXT_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < MIN_MAX_CONTEXT_BYTES) {
      throw new Error(
        `The context budget must be an integer of at least ${MIN_MAX_CONTEXT_BYTES} bytes, got ${maxBytes}`,
      );
    }
    const maxTokens = options.maxTokens ?? DEFAULT_MAX_CONTEXT_TOKENS;
    if (!Number.isInteger(maxTokens) || maxTokens < MIN_MAX_CONTEXT_TOKENS) {
      throw new Error(
        `The context token budget must be an integer of at least ${MIN_MAX_CONTEXT_TOKENS} tokens, got ${maxTokens}`,
      );
    }
    return new ContextBuilder(
      maxBytes,
      maxTokens,
      Redactor.create(options.redaction),
    );
  }

  private constructor(
    private readonly maxBytes: number,
    private readonly maxTokens: number,
    private readonly redactor: Redactor,
  ) {}

  build(input: ContextBuildInput): ContextDocument {
    const tally: RedactionTally = {};
    const { redactor } = this;
    const alerts = summarizeAlerts(input.alerts, redactor, tally);
    const spans = summarizeSpans(
      input.current.spans ?? [],
      input.baseline.spans,
      { serviceName: input.serviceName, redactor, tally },
    );
    const logs = summarizeLogs(input.current.logs ?? [], input.baseline.logs, {
      redactor,
      tally,
      link: spans.link,
      ...(input.countedLogs ? { counted: input.countedLogs } : {}),
    });
    // Counts are exact unless records were cut at a provider's limit or counted from a sample.
    const logCountsExact =
      !input.truncated.includes('logs') &&
      !(input.baseline.truncated ?? []).includes('logs') &&
      logs.notes.length === 0 &&
      (input.countedLogs?.complete ?? true);
    const metricDeltas = computeMetricDeltas(
      input.current.metrics ?? [],
      input.baseline.metrics ?? [],
      { redactor, tally },
    );
    const located = input.localization
      ? localizeContext({
          ...input.localization,
          alertedService: input.serviceName,
          alerted: {
            serviceName: input.serviceName,
            current: input.current,
            baseline: input.baseline,
          },
          alertedSummary: {
            operations: spans.operations,
            logTemplates: logs.logTemplates,
            metricDeltas,
          },
          incidentWindow: input.window,
          onsetMs: input.onset?.at
            ? Date.parse(input.onset.at)
            : input.window.fromMs,
          redactor,
          tally,
        })
      : undefined;
    const document: ContextDocument = {
      version: 1,
      incidentId: input.incidentId,
      serviceName: input.serviceName,
      window: isoWindow(input.window),
      baselineWindow: isoWindow(input.baselineWindow),
      alerts,
      operations: [...spans.operations, ...(located?.operations ?? [])],
      dependencies: [...spans.dependencies, ...(located?.dependencies ?? [])],
      logTemplates: [...logs.logTemplates, ...(located?.logTemplates ?? [])],
      logCountsExact,
      metricDeltas: attachLimits([
        ...metricDeltas,
        ...(located?.metricDeltas ?? []),
      ]),
      missing: notes(input.missing.map(note => redactor.redact(note, tally))),
      truncated: notes([...input.truncated, ...logs.notes]),
      // Every text above is redacted by now, so the tally is complete.
      redactions: tallyTotal(tally),
      redactionsByKind: Object.fromEntries(
        Object.keys(tally)
          .sort(compareText)
          .map(kind => [kind, tally[kind]]),
      ),
      criticalPaths: spans.criticalPaths,
      ...(input.onset ? { onset: input.onset } : {}),
      ...(located
        ? { localization: located.localization, changes: located.changes }
        : {}),
    };
    // One pass over the finished document: whatever a summarizer let through is masked here.
    const redacted = redactDocument(document, redactor);
    return withSize(fitToBudget(redacted, this.maxBytes, this.maxTokens));
  }
}

function summarizeAlerts(
  alerts: ContextBuildInput['alerts'],
  redactor: Redactor,
  tally: RedactionTally,
): ContextDocument['alerts'] {
  const byId = new Map<string, ContextDocument['alerts'][number]>();
  const ordered = [...alerts].sort(
    (a, b) =>
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      compareText(a.startsAt, b.startsAt) ||
      compareText(a.fingerprint, b.fingerprint),
  );
  for (const alert of ordered) {
    const id = `alert:${alert.fingerprint}`;
    if (byId.has(id)) continue;
    const text =
      alert.annotations.summary ??
      alert.annotations.description ??
      alert.annotations.message;
    byId.set(id, {
      id,
      name: alert.name,
      status: alert.status,
      severity: alert.severity,
      summary: text
        ? redactor.redact(clip(text, MAX_SUMMARY_LENGTH), tally)
        : null,
      startsAt: alert.startsAt,
    });
  }
  return [...byId.values()];
}

function isoWindow(window: { fromMs: number; toMs: number }): {
  from: string;
  to: string;
} {
  return {
    from: new Date(window.fromMs).toISOString(),
    to: new Date(window.toMs).toISOString(),
  };
}

/** Distinct, sorted, bounded: provider errors can be long and many. */
function notes(values: string[]): string[] {
  const distinct = [
    ...new Set(values.map(value => clip(value, MAX_NOTE_LENGTH))),
  ].sort(compareText);
  return distinct.length <= MAX_NOTES
    ? distinct
    : [
        ...distinct.slice(0, MAX_NOTES - 1),
        `and ${distinct.length - MAX_NOTES + 1} more`,
      ];
}
