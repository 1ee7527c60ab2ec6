import {
  LogRecord,
  MetricPoint,
  SpanRecord,
} from '@ai-triage/plugin-ai-triage-node';
import { EvidenceGap } from '../database/RetriageStore';

/**
 * What an incident's context lacked in its incident window (from the onset on), so that its
 * arrival triggers a re-triage (docs/reasoning.md, "Re-triage when the evidence arrives"):
 *
 * - the alerted service's spans, metric points or log records, each when none was read;
 * - the spans of every other service of the fault's graph (services the read traces reach,
 *   peers their client spans name, catalog dependencies, and the services of the incident's
 *   fault group) that has no span of its own in the window: its self time and originating
 *   errors are unknown, and localization cannot tell whether it passes a change on.
 *
 * Only absence counts, never "fewer than": with telemetry flowing continuously, "more arrived"
 * is always true, and a re-triage per export would follow. The one exception is a window not
 * yet settled: when the alerted service's telemetry read reaches less than `settleMs` past the
 * onset, its first record from `settleMs` after the onset on is awaited too. A triage in the
 * first seconds of a fault sees its start only: spans of the slow calls still in flight, a
 * deploy's new version before its first records, errors before they have spread. Waiting in
 * telemetry time, not wall time, it fires when those minutes have arrived, however late.
 */
export function evidenceGaps(input: {
  alertedService: string;
  incidentFromMs: number;
  /** How long after the onset the window counts as settled (0: never awaited). */
  settleMs: number;
  /** Every span read (alerted service, traces through it, walked services). */
  spans: SpanRecord[];
  /** The alerted service's records in the incident window (logs from the lead before the onset). */
  alerted: { metrics: MetricPoint[]; logs: LogRecord[]; countedLogs: number };
  /** Other services of the fault's graph known without spans (catalog, fault group). */
  relatedServices: string[];
}): EvidenceGap[] {
  const { alertedService, incidentFromMs, spans } = input;
  const withSpans = new Set(
    spans.filter(s => s.startTimeMs >= incidentFromMs).map(s => s.serviceName),
  );
  const graph = new Set([
    alertedService,
    ...spans.map(s => s.serviceName),
    ...spans.flatMap(s => (s.peerService ? [s.peerService] : [])),
    ...input.relatedServices,
  ]);
  const gaps: EvidenceGap[] = [...graph]
    .filter(service => !withSpans.has(service))
    .sort()
    .map(serviceName => ({ serviceName, signal: 'spans' }));
  if (input.alerted.metrics.length === 0)
    gaps.push({ serviceName: alertedService, signal: 'metrics' });
  if (input.alerted.logs.length === 0 && input.alerted.countedLogs === 0)
    gaps.push({ serviceName: alertedService, signal: 'logs' });
  // The signal the service sends, spans first (what localization reads).
  const own = spans.filter(s => s.serviceName === alertedService);
  let readUntilMs = -Infinity;
  for (const ms of own.length > 0
    ? own.map(s => s.startTimeMs)
    : input.alerted.metrics.map(p => p.timestampMs))
    readUntilMs = Math.max(readUntilMs, ms);
  const settledMs = incidentFromMs + input.settleMs;
  if (input.settleMs > 0 && readUntilMs < settledMs) {
    gaps.push({
      serviceName: alertedService,
      signal:
        own.length > 0 || input.alerted.metrics.length === 0
          ? 'spans'
          : 'metrics',
      sinceMs: settledMs,
    });
  }
  return gaps;
}
