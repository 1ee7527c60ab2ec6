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
 * is always true, and a re-triage per export would follow.
 */
export function evidenceGaps(input: {
  alertedService: string;
  incidentFromMs: number;
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
  return gaps;
}
