import {
  ChangeEvent,
  DependencySummary,
  Localization,
  LogTemplate,
  MetricDelta,
  OperationSummary,
} from '@ai-triage/plugin-ai-triage-common';
import { SpanRecord, TelemetryResult } from '@ai-triage/plugin-ai-triage-node';
import { changeEvents } from './changeEvents';
import {
  NEAR_LIMIT_SHARE,
  attachLimits,
  computeMetricDeltas,
  cpuStarved,
} from './computeMetricDeltas';
import { NodeEvidence, localize } from './localize';
import { RedactionTally, Redactor } from './redact';
import { summarizeLogs } from './summarizeLogs';
import { summarizeSpans } from './summarizeSpans';

/** One service's telemetry, split into the incident window and the baseline. */
export type ServiceTelemetry = {
  serviceName: string;
  current: TelemetryResult;
  /** Leave a signal out when the baseline was not read (no baseline figures then). */
  baseline: TelemetryResult;
};

/**
 * How long before the onset a deploy still lines up with it: a rolling update of a few replicas
 * and their warm-up take some minutes, and a bad version shows once it takes traffic.
 */
const DEPLOY_LEAD_MS = 5 * 60_000;
/** Log templates of a service that count as its evidence: new ones, or grown this many times. */
const LOG_GROWTH = 2;
/** Evidence ids kept per suspect, most significant first. */
const MAX_EVIDENCE_IDS = 8;

/**
 * The cross-service part of a context document: summaries of the services the localization walk
 * visited (operations, dependencies, log templates, metric deltas, each with its `service` and
 * ids prefixed `<service>/`), the change events of every service looked at, and the
 * localization itself (see localize), whose kinds read the services' own log templates, metrics
 * near their limits and deploys. Items of the most suspect services come first.
 */
export function localizeContext(input: {
  alertedService: string;
  alerted: ServiceTelemetry;
  alertedSummary: {
    operations: OperationSummary[];
    logTemplates: LogTemplate[];
    metricDeltas: MetricDelta[];
  };
  services: ServiceTelemetry[];
  graphSpans: SpanRecord[];
  incidentWindow: { fromMs: number; toMs: number };
  onsetMs: number;
  baselineWindow: { fromMs: number; toMs: number } | null;
  bucketMs: number;
  maxDepth: number;
  entityRefs?: Record<string, string>;
  catalogEdges?: Array<{ from: string; to: string }>;
  redactor: Redactor;
  tally: RedactionTally;
}): {
  localization: Localization;
  changes: ChangeEvent[];
  operations: OperationSummary[];
  dependencies: DependencySummary[];
  logTemplates: LogTemplate[];
  metricDeltas: MetricDelta[];
} {
  const { redactor, tally } = input;
  const summaries = input.services
    .filter(service => service.serviceName !== input.alertedService)
    .map(service => summarizeService(service, redactor, tally));

  const stamped = [input.alerted, ...input.services].flatMap(service =>
    [service.current, service.baseline].flatMap(result => [
      ...(result.spans ?? []).map(span => ({
        serviceName: span.serviceName,
        timeMs: span.startTimeMs,
        attributes: span.attributes,
      })),
      ...(result.logs ?? []).map(log => ({
        serviceName: log.serviceName,
        timeMs: log.timestampMs,
        attributes: log.attributes,
      })),
    ]),
  );
  const changes = changeEvents(stamped);

  const limited = attachLimits([
    ...input.alertedSummary.metricDeltas,
    ...summaries.flatMap(s => s.metricDeltas),
  ]);
  const evidence = new Map<string, NodeEvidence>();
  const evidenceOf = (service: string): NodeEvidence => {
    let found = evidence.get(service);
    if (!found) {
      found = { texts: [], nearLimit: [], changed: false, evidenceIds: [] };
      evidence.set(service, found);
    }
    return found;
  };
  const ownLogs = [
    ...input.alertedSummary.logTemplates.map(t => ({
      ...t,
      service: input.alertedService,
    })),
    ...summaries.flatMap(s => s.logTemplates),
  ];
  for (const template of ownLogs) {
    const grown =
      template.baselineCount !== undefined &&
      (template.baselineCount === 0 ||
        template.count >= LOG_GROWTH * template.baselineCount);
    if (!grown) continue;
    const node = evidenceOf(template.service ?? input.alertedService);
    node.texts.push(template.template);
    node.evidenceIds.push(template.id);
  }
  for (const delta of limited) {
    if (cpuStarved(delta)) {
      const node = evidenceOf(delta.service ?? input.alertedService);
      node.cpuStarved = true;
      node.evidenceIds.push(delta.id);
    }
    if (delta.limit && delta.current >= NEAR_LIMIT_SHARE * delta.limit) {
      const node = evidenceOf(delta.service ?? input.alertedService);
      node.nearLimit.push(delta.metric);
      node.evidenceIds.push(delta.id);
    }
  }
  for (const change of changes) {
    const at = Date.parse(change.at);
    if (
      at >= input.onsetMs - DEPLOY_LEAD_MS &&
      at <= input.incidentWindow.toMs
    ) {
      const node = evidenceOf(change.service);
      node.changed ||= change.kind === 'deploy';
      node.evidenceIds.unshift(change.id);
    }
  }
  for (const op of [
    ...input.alertedSummary.operations.map(o => ({
      ...o,
      service: input.alertedService,
    })),
    ...summaries.flatMap(s => s.operations),
  ]) {
    const changed =
      op.errorCount > (op.baselineErrorCount ?? Infinity) ||
      (op.baselineP95Ms !== undefined &&
        op.baselineP95Ms !== null &&
        op.p95Ms > op.baselineP95Ms);
    if (changed)
      evidenceOf(op.service ?? input.alertedService).evidenceIds.push(op.id);
  }
  for (const node of evidence.values()) {
    node.evidenceIds = [...new Set(node.evidenceIds)].slice(
      0,
      MAX_EVIDENCE_IDS,
    );
  }

  const { localization } = localize({
    spans: input.graphSpans,
    alertedService: input.alertedService,
    baseline: input.baselineWindow,
    incident: input.incidentWindow,
    bucketMs: input.bucketMs,
    maxDepth: input.maxDepth,
    evidence,
    entityRefs: new Map(Object.entries(input.entityRefs ?? {})),
    catalogEdges: input.catalogEdges,
  });
  const rank = new Map(
    localization.suspects.map((suspect, index) => [suspect.service, index]),
  );
  const ordered = [...summaries].sort(
    (a, b) =>
      (rank.get(a.service) ?? Infinity) - (rank.get(b.service) ?? Infinity),
  );
  return {
    localization,
    changes,
    operations: ordered.flatMap(s => s.operations),
    dependencies: ordered.flatMap(s => s.dependencies),
    logTemplates: ordered.flatMap(s => s.logTemplates),
    metricDeltas: ordered.flatMap(s =>
      s.metricDeltas.map(
        delta => limited.find(l => l.id === delta.id) ?? delta,
      ),
    ),
  };
}

/** A visited service's own summaries, with its name on every item and in every id. */
function summarizeService(
  service: ServiceTelemetry,
  redactor: Redactor,
  tally: RedactionTally,
): {
  service: string;
  operations: OperationSummary[];
  dependencies: DependencySummary[];
  logTemplates: LogTemplate[];
  metricDeltas: MetricDelta[];
} {
  const name = service.serviceName;
  const prefix = (id: string) => id.replace(/^([a-z]+):/, `$1:${name}/`);
  const spans = summarizeSpans(
    (service.current.spans ?? []).filter(s => s.serviceName === name),
    service.baseline.spans?.filter(s => s.serviceName === name),
    { serviceName: name, redactor, tally },
  );
  const logs = summarizeLogs(
    (service.current.logs ?? []).filter(l => l.serviceName === name),
    service.baseline.logs?.filter(l => l.serviceName === name),
    { redactor, tally, link: spans.link },
  );
  const metrics = computeMetricDeltas(
    (service.current.metrics ?? []).filter(m => m.serviceName === name),
    (service.baseline.metrics ?? []).filter(m => m.serviceName === name),
    { redactor, tally },
  );
  return {
    service: name,
    operations: spans.operations.map(op => ({
      ...op,
      id: prefix(op.id),
      service: name,
    })),
    dependencies: spans.dependencies.map(dep => ({
      ...dep,
      id: prefix(dep.id),
      service: name,
    })),
    logTemplates: logs.logTemplates.map(template => ({
      ...template,
      id: prefix(template.id),
      service: name,
      ...(template.relatedIds
        ? { relatedIds: template.relatedIds.map(prefix) }
        : {}),
    })),
    metricDeltas: metrics.map(delta => ({
      ...delta,
      id: prefix(delta.id),
      service: name,
    })),
  };
}
