import {
  Alert,
  ContextDocument,
  SEVERITIES,
} from '@ai-triage/plugin-ai-triage-common';
import { TelemetryResult } from '@ai-triage/plugin-ai-triage-node';
import { computeMetricDeltas } from './computeMetricDeltas';
import { fitToBudget } from './fitToBudget';
import { redact } from './redact';
import { clip, compareText } from './stats';
import { summarizeLogs } from './summarizeLogs';
import { summarizeSpans } from './summarizeSpans';

/** Everything enrichment collected for one incident. */
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
};

export const DEFAULT_MAX_CONTEXT_BYTES = 32_768;
/** Below this a document might not hold its own header, alerts aside. */
export const MIN_MAX_CONTEXT_BYTES = 8_192;

const MAX_NOTES = 10;
const MAX_NOTE_LENGTH = 200;
const MAX_SUMMARY_LENGTH = 300;

/**
 * Turns an incident's alerts and telemetry into its context document: alerts, operations and
 * dependencies from spans, log templates, metric deltas against the baseline window, with
 * secrets redacted and the whole document held to `maxBytes` of JSON. Deterministic: the same
 * input gives a byte-identical document, every list sorted most significant first.
 */
export class ContextBuilder {
  static create(options: { maxBytes?: number } = {}): ContextBuilder {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_CONTEXT_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < MIN_MAX_CONTEXT_BYTES) {
      throw new Error(
        `The context budget must be an integer of at least ${MIN_MAX_CONTEXT_BYTES} bytes, got ${maxBytes}`,
      );
    }
    return new ContextBuilder(maxBytes);
  }

  private constructor(private readonly maxBytes: number) {}

  build(input: ContextBuildInput): ContextDocument {
    const alerts = summarizeAlerts(input.alerts);
    const spans = summarizeSpans(input.current.spans ?? [], input.serviceName);
    const logs = summarizeLogs(input.current.logs ?? []);
    const metricDeltas = computeMetricDeltas(
      input.current.metrics ?? [],
      input.baseline.metrics ?? [],
    );
    const document: ContextDocument = {
      version: 1,
      incidentId: input.incidentId,
      serviceName: input.serviceName,
      window: isoWindow(input.window),
      baselineWindow: isoWindow(input.baselineWindow),
      alerts: alerts.alerts,
      operations: spans.operations,
      dependencies: spans.dependencies,
      logTemplates: logs.logTemplates,
      metricDeltas,
      missing: notes(input.missing),
      truncated: notes(input.truncated),
      redactions: alerts.redactions + spans.redactions + logs.redactions,
    };
    return fitToBudget(document, this.maxBytes);
  }
}

function summarizeAlerts(alerts: ContextBuildInput['alerts']): {
  alerts: ContextDocument['alerts'];
  redactions: number;
} {
  let redactions = 0;
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
    let summary: string | null = null;
    if (text) {
      const redacted = redact(clip(text, MAX_SUMMARY_LENGTH));
      redactions += redacted.count;
      summary = redacted.text;
    }
    byId.set(id, {
      id,
      name: alert.name,
      status: alert.status,
      severity: alert.severity,
      summary,
      startsAt: alert.startsAt,
    });
  }
  return { alerts: [...byId.values()], redactions };
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
