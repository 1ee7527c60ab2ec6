import {
  ContextDocument,
  LogTemplate,
  MISSING_BASELINE_PROBABILITY_CAP,
  MetricDelta,
} from '@ai-triage/plugin-ai-triage-common';
import {
  MIN_METRIC_ANOMALY_SCORE,
  withinBaselineNoise,
} from '../../enrichment/computeMetricDeltas';
import { Candidate } from './scoring';
import {
  ERROR_LEVELS,
  clip,
  describeDelta,
  describeOperation,
  firingAlerts,
  percent,
  possessive,
  riseOf,
  sentences,
} from './text';

/**
 * A metric rose sharply when it grew by half against the baseline (x1.5): resource metrics of a
 * healthy service wander by a few tens of percent with load; a rise by half with a symptom is
 * rarely load alone. Doubling (x2) and tripling (x3) are the stronger steps.
 */
const MIN_RISE = 0.5;
/**
 * A value counts as near its limit from 90% of it: the default alerting threshold of the
 * kube-prometheus mixin for CPU throttling, memory and filesystem usage (KubeMemoryOvercommit,
 * NodeFilesystemAlmostOutOfSpace at 10% free), and where queueing delay of a resource starts to
 * grow fast (M/M/1 wait ~ 1/(1-utilization)).
 */
const NEAR_LIMIT = 0.9;

/** Metrics of things that run out. */
export const SATURATION_METRIC =
  /cpu|event_?loop[._](utilization|delay)|memory|heap|\bgc\b|garbage|connection|pool|queue|thread|goroutine|saturation|utilization|usage|lag|backlog|in_?flight|pending|file_?descriptor|open_?fds|throttl|filesystem|disk|inode|wait|lock/i;
const UTILIZATION_METRIC = /utilization|usage|ratio|percent/i;
/**
 * Metrics of what is left (free memory, available heap, idle time): they rise when a resource
 * is *less* used, so a rise is no saturation (v8js.memory.heap.space.available_size,
 * nodejs.eventloop.time{state=idle}, system.memory.free).
 */
const HEADROOM_METRIC = /availab|free|idle|remaining|headroom/i;
/** Counts that are 0 when healthy: any value above a zero baseline is a rise. */
const ZERO_WHEN_HEALTHY_METRIC = /pending|throttl|queue|backlog|wait|restart/i;

/** Metrics and events of restarting containers. */
export const RESTART_METRIC = /restart/i;
const RESTART_LOG =
  /oom-?kill(ed|ing)?|back-?off restarting|restarting failed container|crash-?loop|container .* (died|exited)|killed process/i;

/**
 * Which resource a metric measures, first match wins (a pool's `pending_requests` is the pool's,
 * not a queue's). Memory, disk and CPU are `saturation` here; pools, locks, threads and queues
 * are resources the service manages itself, read by resourceWait.ts.
 */
const RESOURCE_METRICS: Array<[Resource, RegExp]> = [
  ['connection-pool', /connection|pool/i],
  ['memory', /memory|heap|\bgc\b|garbage/i],
  ['disk', /filesystem|disk|volume|inode/i],
  // A Node process's event loop is its CPU: utilization near 1 and a growing loop delay are
  // what CPU starvation looks like from inside (instrumentation-runtime-node's metrics).
  // (nodejs.eventloop.time is a counter of time spent per state: no level, not read.)
  ['cpu', /cpu|throttl|event_?loop[._](utilization|delay)/i],
  ['lock', /lock|mutex|semaphore/i],
  ['threads', /thread|goroutine|file_?descriptor|open_?fds/i],
  [
    'queue',
    /queue|lag|backlog|in_?flight|pending|saturation|utilization|usage|wait/i,
  ],
];
export type Resource =
  | 'connection-pool'
  | 'memory'
  | 'disk'
  | 'cpu'
  | 'lock'
  | 'threads'
  | 'queue';

export function resourceOf(metric: MetricDelta): Resource | undefined {
  return RESOURCE_METRICS.find(([, pattern]) =>
    pattern.test(metric.metric),
  )?.[0];
}

/** Error messages that name memory, disk or CPU exhaustion, and the metrics that name it best. */
const RESOURCES: Array<{
  kind: 'memory' | 'disk' | 'cpu';
  errors: RegExp | null;
  primary?: RegExp;
}> = [
  {
    kind: 'memory',
    errors: /out ?of ?memory|heap space|\boom\b|oomkill|memory limit/i,
    primary: /memory|heap/i,
  },
  {
    kind: 'disk',
    errors:
      /no space left|disk (is )?full|enospc|read-only file ?system|disk quota/i,
  },
  { kind: 'cpu', errors: null },
];
type ResourceKind = (typeof RESOURCES)[number]['kind'];

/**
 * How strongly one metric shows a resource running out, and whether that holds without a
 * baseline (a value near its limit does).
 *
 * Baseline comparison: the rise against the baseline (`changeRatio`), or from 0 for counts that
 * are 0 when healthy. Without a baseline only nearness to a limit counts: `current / limit`
 * for metrics with a `limit`, or the value itself for utilization ratios (0..1).
 *
 * Against the baseline's own noise first: a metric whose robust anomaly score (median and MAD
 * of the baseline points, as BARO) is under 3 went as far in the baseline already, so neither a
 * rise nor nearness to a limit is evidence of this incident (see withinBaselineNoise); on a
 * loaded machine a pool or event loop that is busy now was busy before the onset too.
 *
 * Strength: 0.4 for a rise by half, 0.55 for doubling or from 0, 0.7 for tripling; near a limit
 * at least 0.55 (+0.15 on top of a rise).
 */
export function metricStrength(metric: MetricDelta): {
  strength: number;
  nearLimit: boolean;
} {
  if (
    withinBaselineNoise(metric) ||
    !SATURATION_METRIC.test(metric.metric) ||
    HEADROOM_METRIC.test(metric.metric) ||
    // nodejs.eventloop.time{state=idle}, system.cpu.time{state=idle}: headroom by attribute.
    Object.values(metric.attributes).some(v => HEADROOM_METRIC.test(String(v)))
  ) {
    return { strength: 0, nearLimit: false };
  }
  let strength = 0;
  if (
    metric.baseline === 0 &&
    metric.current > 0 &&
    ZERO_WHEN_HEALTHY_METRIC.test(metric.metric)
  ) {
    strength = 0.55;
  }
  const change = metric.baseline === null ? 0 : metric.changeRatio ?? 0;
  if (change >= 2) strength = 0.7;
  else if (change >= 1) strength = Math.max(strength, 0.55);
  else if (change >= MIN_RISE) strength = Math.max(strength, 0.4);
  const nearLimit = isNearLimit(metric);
  if (nearLimit) strength = Math.max(strength, 0.4) + 0.15;
  return { strength, nearLimit };
}

/**
 * Whether a metric's rise stands out of its baseline's own noise (a known anomaly score of at
 * least MIN_METRIC_ANOMALY_SCORE, see computeMetricDeltas.ts).
 */
export function scoredRise(metric: MetricDelta): boolean {
  return (
    typeof metric.anomalyScore === 'number' &&
    metric.anomalyScore >= MIN_METRIC_ANOMALY_SCORE
  );
}

/**
 * Nearness to a limit holds without a baseline (`baselineFree`) only with something besides the
 * value that shows the resource ran out: errors naming it, restarts, the wait itself, or a rise
 * scored against the baseline's noise. Alone it is a lead under the missing-baseline cap: a
 * process of a loaded machine runs its event loop or pool near full without any fault, and
 * with too little baseline nothing says it did not before the onset.
 */
export function isNearLimit(metric: MetricDelta): boolean {
  if (typeof metric.limit === 'number' && metric.limit > 0) {
    return metric.current / metric.limit >= NEAR_LIMIT;
  }
  return (
    UTILIZATION_METRIC.test(metric.metric) &&
    metric.current >= NEAR_LIMIT &&
    metric.current <= 1
  );
}

/**
 * The process or host running out of memory (with container restarts), disk or CPU.
 *
 * Evidence: resource metrics that rose or sit near their limit; error logs that name the
 * resource ("OutOfMemoryError", "no space left on device"), which are its evidence and not
 * causes of their own; restart counters and OOM-kill events for memory.
 *
 * Baseline comparison: see {@link metricStrength}. A candidate resting only on metrics without a
 * baseline and not near a limit is marked `baselineMissing`; one with a metric near its limit is
 * `baselineFree` (a full disk is a fault whatever it was before) when errors name the resource,
 * the container restarts or the rise is scored against the baseline's noise (see scoredRise).
 *
 * Strength: the strongest metric's, +0.05 for a second metric of the same resource, +0.15 when
 * errors name the resource, +0.1 for restarts with memory; at most 0.9. A rise with no metric
 * near its limit, no errors naming the resource and no restarts stays a lead (at most 0.3).
 */
export function saturationCandidates(
  context: ContextDocument,
  explained: Set<string>,
): Candidate[] {
  const service = context.serviceName;
  const rising = context.metricDeltas
    .filter(m => !RESTART_METRIC.test(m.metric))
    .map(metric => ({ metric, ...metricStrength(metric) }))
    .filter(({ strength }) => strength > 0)
    .sort(
      (a, b) => b.strength - a.strength || (a.metric.id < b.metric.id ? -1 : 1),
    );
  const restarts = restartEvidence(context);
  const slowest = [...context.operations]
    .sort((a, b) => b.p95Ms - a.p95Ms)
    .slice(0, 2);

  const byKind = new Map<ResourceKind, typeof rising>();
  for (const entry of rising) {
    const kind = resourceOf(entry.metric);
    if (kind !== 'memory' && kind !== 'disk' && kind !== 'cpu') continue;
    byKind.set(kind, [...(byKind.get(kind) ?? []), entry]);
  }
  return [...byKind].map(([kind, metrics], index): Candidate => {
    const resource = RESOURCES.find(r => r.kind === kind)!;
    const errors = resource.errors
      ? context.logTemplates.filter(
          t =>
            (ERROR_LEVELS.has(t.level) || t.level === 'WARN') &&
            !explained.has(t.id) &&
            resource.errors!.test(`${t.template} ${t.sample}`),
        )
      : [];
    const withRestarts =
      kind === 'memory' &&
      (restarts.metrics.length > 0 || restarts.logs.length > 0);
    let strength = metrics[0].strength + (metrics.length > 1 ? 0.05 : 0);
    if (errors.length > 0) strength += 0.15;
    if (withRestarts) strength += 0.1;
    const nearLimit = metrics.some(m => m.nearLimit);
    // Without a limit in sight, errors naming the resource or restarts, a rise is only a lead:
    // heap, GC time and CPU of a healthy process rise and fall by multiples with its load (a
    // garbage-collected heap grows until the collector runs; an event loop's utilization
    // doubles from 0.3 to 0.6 with load on a healthy shop). Capped at the missing-baseline
    // cap, the level of a lead. (Localization still reads a busy loop as the reason its
    // client spans are slow: cpuStarved in computeMetricDeltas.ts.)
    if (!nearLimit && errors.length === 0 && !withRestarts) {
      strength = Math.min(strength, MISSING_BASELINE_PROBABILITY_CAP);
    }
    // A resource the service ran out of slows its own work: a starved event loop or CPU, a
    // collector eating the heap all lengthen the time its spans spend in it. When localization
    // compared that own time with a known baseline and found no change, the metric moved
    // without costing its requests anything (a busy loop between requests, a heap the
    // collector keeps up with): a lead, not the fault, unless errors name the resource or the
    // container restarts.
    const unchangedOwnWork = context.localization?.suspects.some(
      s => s.service === service && s.baselineKnown && !s.changed,
    );
    if (unchangedOwnWork && errors.length === 0 && !withRestarts) {
      strength = Math.min(strength, MISSING_BASELINE_PROBABILITY_CAP);
    }
    const top = (
      metrics.find(m => resource.primary?.test(m.metric.metric)) ?? metrics[0]
    ).metric;
    const known = metrics.some(m => m.metric.baseline !== null);
    return {
      strength: Math.min(0.9, strength),
      order: 200 + index,
      rule: 'saturation',
      kind: 'saturation',
      origin: service,
      baselineFree:
        nearLimit &&
        (errors.length > 0 ||
          withRestarts ||
          (!unchangedOwnWork && metrics.some(m => scoredRise(m.metric)))),
      baselineMissing: known
        ? undefined
        : `the ${kind} metrics have no baseline value`,
      explains: [
        ...errors.map(t => t.id),
        ...(withRestarts ? restarts.logs.map(t => t.id) : []),
        ...(resource.errors
          ? context.operations
              .filter(o => resource.errors!.test(o.sampleError ?? ''))
              .map(o => o.id)
          : []),
      ],
      hypothesis: {
        rootCause: rootCause(service, kind, top, {
          error: errors[0],
          restarts: withRestarts,
        }),
        affectedComponents: [service],
        reasoning: sentences(
          `Resource metrics ${
            nearLimit ? 'sit near their limit or rose' : 'rose'
          } against the baseline: ${metrics
            .slice(0, 3)
            .map(m => describeDelta(m.metric))
            .join('; ')}.`,
          errors.length > 0 &&
            `Errors name the exhausted resource: ${errors
              .slice(0, 2)
              .map(t => `${t.level} "${clip(t.template, 140)}" (${t.count}x)`)
              .join('; ')}.`,
          withRestarts &&
            `The container restarts: ${[
              ...restarts.metrics.map(describeDelta),
              ...restarts.logs
                .slice(0, 2)
                .map(t => `"${clip(t.template, 100)}" (${t.count}x)`),
            ].join('; ')}.`,
          slowest.length > 0 &&
            `Slowest operations: ${slowest.map(describeOperation).join('; ')}.`,
        ),
        diagnosticSteps: steps(service, kind),
        evidenceIds: [
          ...metrics.slice(0, 5).map(r => r.metric.id),
          ...errors.slice(0, 3).map(t => t.id),
          ...(withRestarts
            ? [
                ...restarts.metrics.map(m => m.id),
                ...restarts.logs.slice(0, 2).map(t => t.id),
              ]
            : []),
          ...slowest.map(o => o.id),
          ...firingAlerts(context),
        ],
      },
    };
  });
}

function rootCause(
  service: string,
  kind: ResourceKind,
  top: MetricDelta,
  options: { error?: LogTemplate; restarts: boolean },
): string {
  const errorNote = options.error
    ? `; errors say "${clip(options.error.template, 100)}"`
    : '';
  switch (kind) {
    case 'memory':
      return `${service} runs out of memory (a leak or an undersized limit): ${
        top.metric
      } ${top.baseline === null ? 'is' : 'rose'} ${riseOf(top)}${
        top.baseline === null ? '' : ' against the baseline window'
      }${options.restarts ? ' and its containers restart' : ''}${errorNote}.`;
    case 'disk':
      return `${possessive(service)} disk is full: ${top.metric} is at ${
        typeof top.limit === 'number' && top.limit > 0
          ? percent(Math.min(1, top.current / top.limit))
          : percent(Math.min(1, top.current))
      }${errorNote}.`;
    default:
      return `${service} is starved of CPU (throttled at its limit): ${
        top.metric
      } ${top.baseline === null ? 'is' : 'rose'} ${riseOf(top)}${
        top.baseline === null ? '' : ' against the baseline window'
      }, so requests queue for CPU time.`;
  }
}

/** Restart counters that rose and log lines of killed or restarting containers. */
function restartEvidence(context: ContextDocument): {
  metrics: MetricDelta[];
  logs: LogTemplate[];
} {
  return {
    metrics: context.metricDeltas.filter(
      m =>
        RESTART_METRIC.test(m.metric) &&
        m.current > (m.baseline ?? 0) &&
        (m.baseline === 0 || (m.changeRatio ?? 0) > 0),
    ),
    logs: context.logTemplates.filter(t =>
      RESTART_LOG.test(`${t.template} ${t.sample}`),
    ),
  };
}

function steps(service: string, kind: ResourceKind): string[] {
  const first = {
    cpu: `Check CPU and throttling of ${possessive(
      service,
    )} pods: kubectl top pod -l app.kubernetes.io/name=${service}, and container_cpu_cfs_throttled_periods_total.`,
    memory: `Check ${possessive(
      service,
    )} pods for restarts and OOMKilled (kubectl describe pod), and heap size and GC pauses over the window.`,
    disk: `Check the volume's usage (df -h inside a pod of ${service}) and what fills it; free space or grow the volume.`,
  }[kind];
  return [
    first,
    `Find what drives the rise: request rate against the baseline, a recent deploy or config change of ${service}, or a slow dependency holding resources longer.`,
  ];
}
