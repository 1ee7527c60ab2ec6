import {
  ContextDocument,
  DependencySummary,
  HypothesisDraft,
  HypothesisSet,
  MetricDelta,
  OperationSummary,
} from '@ai-triage/plugin-ai-triage-common';
import { Reasoner } from '@ai-triage/plugin-ai-triage-node';
import { UNKNOWN_DEPENDENCY } from '../enrichment/summarizeSpans';

/** A possible root cause, with how strongly the context supports it (0..1). */
type Candidate = {
  strength: number;
  /** Breaks ties between equally strong candidates: lower first. */
  order: number;
  hypothesis: Omit<HypothesisDraft, 'confidence'>;
  /** Evidence this cause accounts for, which then makes no hypothesis of its own. */
  explains?: string[];
};

// Thresholds. A dependency is suspect when its calls take a large share of the service's time or
// a real fraction of them fail; an error template when it repeats; a resource metric when it rose
// sharply against the baseline window.
const MIN_LATENCY_SHARE = 0.3;
const MIN_ERROR_RATE = 0.05;
const MIN_ERROR_COUNT = 3;
const MIN_TEMPLATE_COUNT = 5;
const MIN_SATURATION_RISE = 0.5;
const HIGH_UTILIZATION = 0.9;

const HIGH_CONFIDENCE = 0.65;
const MEDIUM_CONFIDENCE = 0.4;

const ERROR_LEVELS = new Set(['ERROR', 'FATAL']);

/** Metrics of things that run out: CPU, memory, connections and pools, queues, threads. */
const SATURATION_METRIC =
  /cpu|memory|heap|\bgc\b|garbage|connection|pool|queue|thread|goroutine|saturation|utilization|usage|lag|backlog|in_?flight|pending|file_?descriptor|open_?fds|throttl/i;
const UTILIZATION_METRIC = /utilization|usage|ratio|percent/i;

/**
 * The deterministic reasoner: ranks the anomalies in a context document into at most three
 * hypotheses, each citing the evidence it stands on. It looks for a slow or failing downstream
 * dependency, a repeated error log template, resource saturation and failing operations;
 * evidence that points at a suspected dependency (its errors in logs, its latency in metrics)
 * strengthens that hypothesis instead of making a new one. No network, no randomness: the same
 * document always gives the same answer. It is the default reasoner and the fallback when an
 * LLM is unavailable.
 */
export class HeuristicReasoner implements Reasoner {
  readonly name = 'heuristic';

  async reason(context: ContextDocument): Promise<HypothesisSet> {
    const dependencies = suspectDependencies(context);
    const explained = new Set(dependencies.flatMap(c => c.explains ?? []));
    const candidates = [
      ...dependencies,
      ...errorTemplates(context, explained),
      ...saturation(context),
      ...failingOperations(context, explained),
    ];
    candidates.sort((a, b) => b.strength - a.strength || a.order - b.order);
    const hypotheses = candidates.slice(0, 3).map(
      ({ strength, hypothesis }): HypothesisDraft => ({
        ...hypothesis,
        rootCause: clip(hypothesis.rootCause, 500),
        reasoning: clip(hypothesis.reasoning, 2000),
        affectedComponents: unique(hypothesis.affectedComponents).slice(0, 10),
        diagnosticSteps: hypothesis.diagnosticSteps.slice(0, 10),
        evidenceIds: unique(hypothesis.evidenceIds),
        confidence: confidenceOf(strength),
      }),
    );
    return { hypotheses, insufficientEvidence: hypotheses.length === 0 };
  }
}

function confidenceOf(strength: number): HypothesisDraft['confidence'] {
  if (strength >= HIGH_CONFIDENCE) return 'high';
  return strength >= MEDIUM_CONFIDENCE ? 'medium' : 'low';
}

// ---------------------------------------------------------------------------------------------
// Downstream dependencies

function suspectDependencies(context: ContextDocument): Candidate[] {
  const service = context.serviceName;
  return context.dependencies.flatMap((dep, index): Candidate[] => {
    const slow = dep.latencyShare >= MIN_LATENCY_SHARE;
    const failing =
      dep.errorCount >= MIN_ERROR_COUNT && dep.errorRate >= MIN_ERROR_RATE;
    if (!slow && !failing) return [];

    const logs = mentioning(
      context.logTemplates,
      dep.dependency,
      t => `${t.template} ${t.sample}`,
    ).filter(
      t => t.level === 'ERROR' || t.level === 'FATAL' || t.level === 'WARN',
    );
    const metrics = context.metricDeltas.filter(
      m =>
        (m.changeRatio ?? 0) >= MIN_SATURATION_RISE &&
        mentions(metricText(m), dep.dependency),
    );
    const operations = entryOperations(context, failing);

    let strength = Math.max(
      slow ? dep.latencyShare : 0,
      failing ? Math.min(1, 0.3 + dep.errorRate) : 0,
    );
    if (slow && failing) strength += 0.1;
    if (logs.length) strength += 0.1;
    if (metrics.length) strength += 0.1;

    const symptom = [
      slow
        ? `its calls take ${percent(dep.latencyShare)} of ${possessive(
            service,
          )} request time (p95 ${ms(dep.p95Ms)})`
        : '',
      failing
        ? `${percent(dep.errorRate)} of ${possessive(
            service,
          )} calls to it fail (${dep.errorCount} of ${dep.callCount})`
        : '',
    ]
      .filter(Boolean)
      .join(' and ');
    const corroboration = [
      ...logs
        .slice(0, 2)
        .map(t => `${t.level} log "${clip(t.template, 120)}" (${t.count}x)`),
      ...metrics
        .slice(0, 2)
        .map(
          m =>
            `${m.metric} rose ${rise(m.changeRatio ?? 0)} against the baseline`,
        ),
    ];
    return [
      {
        strength: Math.min(1, strength),
        order: index,
        explains: [
          ...logs.map(t => t.id),
          ...(failing ? operations.map(o => o.id) : []),
        ],
        hypothesis: {
          rootCause: `Downstream dependency ${dep.dependency} is ${[
            slow ? 'slow' : '',
            failing ? 'failing' : '',
          ]
            .filter(Boolean)
            .join(
              ' and ',
            )}: ${symptom}, which ${service} passes on to its callers.`,
          affectedComponents: [service, dep.dependency],
          reasoning: sentences(
            `${service} depends on ${dep.dependency}: ${symptom}.`,
            operations.length > 0 &&
              `Affected operations: ${operations
                .map(describeOperation)
                .join('; ')}.`,
            corroboration.length > 0 &&
              `Corroborated by ${corroboration.join('; ')}.`,
          ),
          diagnosticSteps: dependencySteps(service, dep, slow),
          evidenceIds: [
            dep.id,
            ...operations.map(o => o.id),
            ...logs.slice(0, 3).map(t => t.id),
            ...metrics.slice(0, 3).map(m => m.id),
            ...firingAlerts(context),
          ],
        },
      },
    ];
  });
}

function dependencySteps(
  service: string,
  dep: DependencySummary,
  slow: boolean,
): string[] {
  const peer = dep.dependency;
  return [
    `Search traces of ${service} for its calls to ${peer} in the incident window, e.g. TraceQL { resource.service.name = "${service}" && kind = client && span.peer.service = "${peer}" }, and compare their durations and status with the baseline window.`,
    `Open ${possessive(
      peer,
    )} own service page and dashboards: its latency, error rate and saturation, and whether it has firing alerts of its own.`,
    `Check for a recent deploy or config change of ${peer} (e.g. kubectl rollout history deployment/${peer} in its namespace).`,
    slow
      ? `Review ${possessive(
          service,
        )} timeout, retry and connection-pool settings for ${peer}: retries against a slow dependency multiply its load.`
      : `Read the status messages of the failing client spans to ${peer} to tell timeouts, refused connections and application errors apart.`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Error log templates

function errorTemplates(
  context: ContextDocument,
  explained: Set<string>,
): Candidate[] {
  const service = context.serviceName;
  const erroring = context.operations.filter(o => o.errorCount > 0);
  return context.logTemplates
    .filter(
      t =>
        ERROR_LEVELS.has(t.level) &&
        t.count >= MIN_TEMPLATE_COUNT &&
        !explained.has(t.id),
    )
    .map((template, index): Candidate => {
      let strength = 0.4;
      if (template.count >= 20) strength = 0.55;
      if (template.count >= 100) strength = 0.7;
      if (template.level === 'FATAL') strength += 0.1;
      if (erroring.length) strength += 0.1;
      const text = clip(template.template, 160);
      return {
        strength: Math.min(1, strength),
        order: 100 + index,
        hypothesis: {
          rootCause: `${service} hits a recurring ${template.level.toLowerCase()}: "${text}" (${
            template.count
          } times between ${time(template.firstSeen)} and ${time(
            template.lastSeen,
          )}).`,
          affectedComponents: [service],
          reasoning: sentences(
            `The ${template.level} log template "${text}" repeats ${
              template.count
            } times in the incident window; a sample reads "${clip(
              template.sample,
              200,
            )}".`,
            erroring.length > 0 &&
              `Failing operations at the same time: ${erroring
                .slice(0, 3)
                .map(describeOperation)
                .join('; ')}.`,
          ),
          diagnosticSteps: [
            `Search ${possessive(
              service,
            )} logs for it, e.g. LogQL {service_name="${service}"} |= "${literalPrefix(
              template.template,
            )}", and read the full records around the first one at ${
              template.firstSeen
            }.`,
            `Look at what changed just before ${template.firstSeen}: deploys, config, feature flags, or the inputs it processes.`,
            `Follow the trace ids on these log records to the requests or messages that fail and the operation they belong to.`,
          ],
          evidenceIds: [
            template.id,
            ...erroring.slice(0, 2).map(o => o.id),
            ...firingAlerts(context),
          ],
        },
      };
    });
}

// ---------------------------------------------------------------------------------------------
// Saturation

function saturation(context: ContextDocument): Candidate[] {
  const rising = context.metricDeltas
    .map(metric => ({ metric, strength: saturationStrength(metric) }))
    .filter(({ strength }) => strength > 0)
    .sort(
      (a, b) => b.strength - a.strength || (a.metric.id < b.metric.id ? -1 : 1),
    );
  if (rising.length === 0) return [];

  const service = context.serviceName;
  const top = rising[0].metric;
  const described = rising
    .slice(0, 3)
    .map(({ metric }) =>
      metric.baseline === null
        ? `${metric.id} at ${round(metric.current)}`
        : `${metric.id} from ${round(metric.baseline)} to ${round(
            metric.current,
          )} (${rise(metric.changeRatio ?? 0)})`,
    );
  const slowest = [...context.operations]
    .sort((a, b) => b.p95Ms - a.p95Ms)
    .slice(0, 2);
  return [
    {
      strength: Math.min(
        0.9,
        rising[0].strength + (rising.length > 1 ? 0.05 : 0),
      ),
      order: 200,
      hypothesis: {
        rootCause: `${service} is saturated: ${top.metric} rose sharply against the baseline window, so work queues up for the exhausted resource.`,
        affectedComponents: [service],
        reasoning: sentences(
          `Resource metrics rose against the baseline: ${described.join(
            '; ',
          )}.`,
          slowest.length > 0 &&
            `Slowest operations: ${slowest.map(describeOperation).join('; ')}.`,
        ),
        diagnosticSteps: saturationSteps(
          service,
          rising.map(r => r.metric),
        ),
        evidenceIds: [
          ...rising.slice(0, 5).map(r => r.metric.id),
          ...slowest.map(o => o.id),
          ...firingAlerts(context),
        ],
      },
    },
  ];
}

function saturationStrength(metric: MetricDelta): number {
  if (!SATURATION_METRIC.test(metric.metric)) return 0;
  const change = metric.changeRatio ?? 0;
  let strength = 0;
  if (change >= 2) strength = 0.7;
  else if (change >= 1) strength = 0.55;
  else if (change >= MIN_SATURATION_RISE) strength = 0.4;
  const nearlyFull =
    UTILIZATION_METRIC.test(metric.metric) &&
    metric.current >= HIGH_UTILIZATION &&
    metric.current <= 1;
  if (nearlyFull) strength = Math.max(strength, 0.4) + 0.15;
  return strength;
}

function saturationSteps(service: string, metrics: MetricDelta[]): string[] {
  const names = metrics.map(m => m.metric.toLowerCase()).join(' ');
  const steps: string[] = [];
  if (/connection|pool/.test(names)) {
    steps.push(
      `Compare ${possessive(
        service,
      )} connections in use with the pool's maximum and look for connections held by slow or leaked transactions; on PostgreSQL: SELECT state, wait_event_type, count(*) FROM pg_stat_activity GROUP BY 1, 2.`,
    );
  }
  if (/cpu|throttl/.test(names)) {
    steps.push(
      `Check CPU and throttling of ${possessive(
        service,
      )} pods: kubectl top pod -l app.kubernetes.io/name=${service}, and container_cpu_cfs_throttled_periods_total.`,
    );
  }
  if (/memory|heap|gc|garbage/.test(names)) {
    steps.push(
      `Check ${possessive(
        service,
      )} pods for restarts and OOMKilled (kubectl describe pod), and heap size and GC pauses over the window.`,
    );
  }
  if (/queue|lag|backlog|pending|in_?flight/.test(names)) {
    steps.push(
      `Check whether ${possessive(
        service,
      )} consumers keep up: queue depth or consumer lag per partition, and whether any consumer stopped.`,
    );
  }
  if (/thread|goroutine/.test(names)) {
    steps.push(
      `Take a thread dump of ${service} and look for threads blocked on the same lock or call.`,
    );
  }
  steps.push(
    `Find what drives the rise: request rate against the baseline, a recent deploy or config change of ${service}, or a slow dependency holding resources longer.`,
  );
  return steps;
}

// ---------------------------------------------------------------------------------------------
// Failing operations

function failingOperations(
  context: ContextDocument,
  explained: Set<string>,
): Candidate[] {
  const service = context.serviceName;
  return context.operations
    .filter(
      o =>
        o.errorCount >= MIN_ERROR_COUNT &&
        o.errorRate >= MIN_ERROR_RATE &&
        !explained.has(o.id),
    )
    .map(
      (operation, index): Candidate => ({
        strength: Math.min(0.6, 0.2 + operation.errorRate),
        order: 300 + index,
        hypothesis: {
          rootCause: `Operation ${
            operation.operation
          } of ${service} fails: ${percent(
            operation.errorRate,
          )} of its requests end in an error${
            operation.sampleError
              ? ` ("${clip(operation.sampleError, 160)}")`
              : ''
          }.`,
          affectedComponents: [service],
          reasoning: `${describeOperation(
            operation,
          )}. No downstream dependency explains the errors, so the failure is likely inside ${service} or in its input.`,
          diagnosticSteps: [
            `Search the failing traces, e.g. TraceQL { resource.service.name = "${service}" && name = "${operation.operation}" && status = error }, and read their exceptions and events.`,
            `Check for a recent deploy or config change of ${service} (e.g. kubectl rollout history deployment/${service}).`,
            `Compare the failing requests with successful ones (route parameters, tenant, payload size) to find what they share.`,
          ],
          evidenceIds: [operation.id, ...firingAlerts(context)],
        },
      }),
    );
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Operations that serve requests and show the symptom: failing ones, else the slowest. */
function entryOperations(
  context: ContextDocument,
  failing: boolean,
): OperationSummary[] {
  const withErrors = context.operations.filter(o => o.errorCount > 0);
  if (failing && withErrors.length) return withErrors.slice(0, 2);
  return [...context.operations].sort((a, b) => b.p95Ms - a.p95Ms).slice(0, 1);
}

function firingAlerts(context: ContextDocument): string[] {
  return context.alerts
    .filter(a => a.status === 'firing')
    .slice(0, 2)
    .map(a => a.id);
}

function mentioning<T>(
  items: T[],
  name: string,
  text: (item: T) => string,
): T[] {
  return items.filter(item => mentions(text(item), name));
}

/**
 * Whether text names a dependency as a word, in any case, also in its singular or without a
 * `-service` / `-svc` / `-api` suffix (`payments` matches "payment declined"). Names shorter
 * than 4 characters and the unknown dependency never match.
 */
function mentions(text: string, name: string): boolean {
  if (name === UNKNOWN_DEPENDENCY) return false;
  const base = name.toLowerCase().replace(/[-_.](service|svc|api)$/, '');
  const stems = unique([
    name.toLowerCase(),
    base,
    base.replace(/s$/, ''),
  ]).filter(stem => stem.length >= 4);
  const lower = text.toLowerCase();
  return stems.some(stem => {
    const escaped = stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(^|[^a-z0-9])${escaped}([^a-z0-9]|$)`).test(lower);
  });
}

function metricText(metric: MetricDelta): string {
  return `${metric.metric} ${Object.values(metric.attributes).join(' ')}`;
}

function describeOperation(o: OperationSummary): string {
  return `${o.operation}: ${o.spanCount} spans, ${percent(
    o.errorRate,
  )} errors, p95 ${ms(o.p95Ms)}`;
}

function literalPrefix(template: string): string {
  const prefix = template.split('<*>')[0].trim();
  return (prefix || template).slice(0, 60).replace(/"/g, '\\"');
}

/** `+35%`, or `x18.4` for rises beyond doubling. */
function rise(changeRatio: number): string {
  return changeRatio >= 1
    ? `x${Math.round((1 + changeRatio) * 10) / 10}`
    : `+${percent(changeRatio)}`;
}

function possessive(name: string): string {
  return name.endsWith('s') ? `${name}'` : `${name}'s`;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

function ms(value: number): string {
  return value >= 1000 ? `${round(value / 1000)} s` : `${round(value)} ms`;
}

/** The time of day of an ISO timestamp: `10:04:00Z`. */
function time(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(iso)
    ? `${iso.slice(11, 19)}Z`
    : iso;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The parts that are not `false`, as one paragraph. */
function sentences(...parts: Array<string | false>): string {
  return parts.filter(Boolean).join(' ');
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
