import {
  ContextDocument,
  DependencySummary,
  LogTemplate,
  MISSING_BASELINE_PROBABILITY_CAP,
} from '@ai-triage/plugin-ai-triage-common';
import {
  MIN_ERROR_COUNT,
  MIN_TEMPLATE_SPIKE,
  dependencyErrors,
  dependencyLatency,
  operationErrors,
  operationLatency,
  templateSpiked,
} from './baseline';
import { serviceOf } from './dependencies';
import { Candidate } from './scoring';
import {
  Resource,
  RESTART_METRIC,
  metricStrength,
  resourceOf,
  scoredRise,
} from './saturation';
import {
  ERROR_LEVELS,
  clip,
  describeDelta,
  describeOperation,
  firingAlerts,
  mentionIndex,
  mentions,
  possessive,
  sentences,
} from './text';

type WaitResource = Extract<
  Resource,
  'connection-pool' | 'lock' | 'threads' | 'queue'
>;

/**
 * Resources a service manages itself and makes requests wait for. `errors` are the messages of
 * common clients when the wait gives up (HikariCP, node-postgres' pg-pool, Go's database/sql,
 * SQLAlchemy, MySQL/PostgreSQL lock timeouts, Java executors); `operations` name the spans some
 * instrumentations make of the wait itself (`pg-pool.connect`, `acquire`, `lock`); `holders`
 * are the dependencies the resource is a gateway to, whose client spans include the wait.
 */
const WAITS: Array<{
  resource: WaitResource;
  label: string;
  errors: RegExp | null;
  operations: RegExp | null;
  holders: RegExp | null;
  /** Strength at most: a growing queue is more often a symptom than a cause. */
  cap: number;
}> = [
  {
    resource: 'connection-pool',
    label: 'connection pool',
    errors:
      /\bpool\b.{0,40}(exhaust|timeout|timed out|full|wait)|connection is not available|(timed? ?out|timeout).{0,40}(acquir|obtain|get)\w* (a )?(free )?(client|connection)|(acquir|obtain)\w* (a )?(client|connection).{0,40}(time|fail)|too many (clients|connections)|remaining connection slots|timeout exceeded when trying to connect|waiting for (a )?(free |idle )?connection/i,
    operations: /pool|acquire|get_?connection|getconnection|\.connect$/i,
    holders:
      /\b(db|database|postgres(ql)?|pg|mysql|mariadb|sql|redis|mongo(db)?|cassandra|elasticsearch|opensearch|dynamodb)\b|-db$|_db$/i,
    cap: 0.9,
  },
  {
    resource: 'lock',
    label: 'lock',
    errors:
      /lock wait timeout|deadlock|could not (obtain|acquire) (a )?lock|lock (acquisition |acquire )?(time(d)? ?out|timeout)|waiting for (a |the )?lock|mutex|semaphore/i,
    operations: /\block\b|mutex|semaphore/i,
    holders: null,
    cap: 0.9,
  },
  {
    resource: 'threads',
    label: 'thread pool',
    errors:
      /rejectedexecution|unable to create (new )?native thread|too many open files|thread pool (is )?(exhausted|full)/i,
    operations: null,
    holders: null,
    cap: 0.9,
  },
  {
    resource: 'queue',
    label: 'queue',
    errors: null,
    operations: null,
    holders: null,
    cap: 0.7,
  },
];

/**
 * Waiting for a resource inside the service: a connection pool, a lock, a thread pool, a
 * queue. The wait is the service's own time, never the resource's: a request that waits 900 ms
 * for a pooled connection and then runs a 2 ms query has a 902 ms database client span in many
 * instrumentations, yet the database is fine. Such a hypothesis names the service as origin,
 * kind `resource-wait`, and takes the evidence of the dependency the resource leads to (its
 * slow or failing client spans), so the database does not get a hypothesis of its own.
 *
 * Evidence: metrics of the resource (in use, pending, wait time, lag), error logs that name the
 * wait ("Connection is not available", "timeout exceeded when trying to connect", "lock wait
 * timeout"), spans of the wait itself (an operation named `pool`/`acquire`/`lock` that got
 * slower), and the time on critical paths spent in such spans.
 *
 * Baseline comparison: metrics rose beyond the baseline's own noise (see metricStrength) or sit
 * near their limit (the latter holds without a baseline when the wait is seen or the rise is
 * scored); error templates are new or spiked against the baseline; the wait
 * operation's p95 grew. Resting only on items without a baseline, it is `baselineMissing`.
 * The holder dependency is taken only when the wait itself is seen (errors naming it, or its
 * own spans), and not when localization saw the dependency's own behaviour change: then the pool
 * fills because the database is slow, and both hypotheses stand.
 *
 * Strength: the strongest metric's (saturation.ts) or 0.55 for repeated wait errors alone; +0.05
 * for a second metric, +0.15 for errors naming the wait next to metrics, +0.1 for a slower wait
 * span, +0.1 when it accounts for a dependency's slower or failing calls; capped per resource
 * (0.7 for queues, 0.9 otherwise). Hand-set steps, like the other families'.
 */
export function resourceWaitCandidates(
  context: ContextDocument,
  explained: Set<string>,
): Candidate[] {
  const service = context.serviceName;
  const candidates: Candidate[] = [];
  const callees = [
    ...new Set([
      ...context.dependencies.map(d => serviceOf(context, d)),
      ...(context.localization?.edges ?? [])
        .filter(e => e.from === service)
        .map(e => e.to),
    ]),
  ].filter(name => name !== service);
  for (const [index, wait] of WAITS.entries()) {
    const metrics = context.metricDeltas
      .filter(
        m => !RESTART_METRIC.test(m.metric) && resourceOf(m) === wait.resource,
      )
      .map(metric => ({ metric, ...metricStrength(metric) }))
      .filter(m => m.strength > 0)
      .sort(
        (a, b) =>
          b.strength - a.strength || (a.metric.id < b.metric.id ? -1 : 1),
      );
    const errors = wait.errors
      ? context.logTemplates.filter(
          t =>
            (ERROR_LEVELS.has(t.level) || t.level === 'WARN') &&
            !explained.has(t.id) &&
            templateSpiked(t, context) !== 'unchanged' &&
            ownWait(t.sample || t.template, wait.errors!, callees),
        )
      : [];
    const repeatedErrors = errors.filter(t => t.count >= MIN_TEMPLATE_SPIKE);
    const waitOperations = wait.operations
      ? context.operations.filter(
          o =>
            wait.operations!.test(o.operation) &&
            operationLatency(o) !== 'unchanged',
        )
      : [];
    const pathWait = criticalPathWait(context, wait.operations);
    if (metrics.length === 0 && repeatedErrors.length === 0) continue;

    let strength = metrics.length > 0 ? metrics[0].strength : 0.55;
    if (metrics.length > 1) strength += 0.05;
    if (metrics.length > 0 && errors.length > 0) strength += 0.15;
    if (waitOperations.length > 0 || pathWait) strength += 0.1;

    // The wait itself is seen (errors naming it, or its own spans): only then the dependency
    // behind it is cleared. Metrics of a full pool alone also fit a slow database holding
    // connections longer, so then both hypotheses stand.
    const waitSeen =
      errors.length > 0 || waitOperations.length > 0 || pathWait !== undefined;
    // Metrics of a pool or queue that rose by less than double (none near its limit, none up
    // from the 0 of a healthy wait count) with no wait seen are a lead: a pool's usage follows
    // the request rate. Doubling is the bar the error rules use for "grew" (the usual burn-rate
    // multiplier).
    const strongRise = metrics.some(
      m =>
        (m.metric.baseline === 0 && m.metric.current > 0) ||
        (m.metric.changeRatio ?? 0) >= 1,
    );
    if (!waitSeen && !metrics.some(m => m.nearLimit) && !strongRise) {
      strength = Math.min(strength, MISSING_BASELINE_PROBABILITY_CAP);
    }
    // A queue backs up behind a consumer that fails its messages (rollbacks, retries of a
    // poison message): the failures are the cause and make their own hypothesis, the backlog
    // is their effect.
    const failingOwnWork = context.operations.some(
      o =>
        o.errorCount >= MIN_ERROR_COUNT &&
        operationErrors(o) === 'changed' &&
        !(wait.errors?.test(o.sampleError ?? '') ?? false),
    );
    if (wait.resource === 'queue' && failingOwnWork) {
      strength = Math.min(strength, MISSING_BASELINE_PROBABILITY_CAP);
    }
    const holders = waitSeen ? holderDependencies(context, wait, errors) : [];
    // The dependency's slow or failing calls are now accounted for by the wait.
    if (
      holders.some(
        d =>
          dependencyLatency(d) !== 'unchanged' ||
          dependencyErrors(d) === 'changed',
      )
    ) {
      strength += 0.1;
    }
    const failingOperations = wait.errors
      ? context.operations.filter(o => wait.errors!.test(o.sampleError ?? ''))
      : [];
    const nearLimit = metrics.some(m => m.nearLimit);
    const known =
      metrics.some(m => m.metric.baseline !== null) ||
      errors.some(t => templateSpiked(t, context) === 'changed') ||
      waitOperations.some(o => operationLatency(o) === 'changed');
    const top = metrics[0]?.metric;
    const errorNote = errors[0]
      ? `; errors say "${clip(errors[0].template, 100)}"`
      : '';
    const slowest = [...context.operations]
      .sort((a, b) => b.p95Ms - a.p95Ms)
      .slice(0, 1);
    candidates.push({
      strength: Math.min(wait.cap, strength),
      order: 150 + index,
      rule: 'resource-wait',
      kind: 'resource-wait',
      origin: service,
      // Near its limit holds without a baseline only with the wait seen or a scored rise
      // (see isNearLimit in saturation.ts).
      baselineFree:
        nearLimit && (waitSeen || metrics.some(m => scoredRise(m.metric))),
      baselineMissing: known
        ? undefined
        : `the ${wait.label} evidence has no baseline to compare with`,
      explains: [
        ...errors.map(t => t.id),
        ...holders.map(d => d.id),
        ...failingOperations.map(o => o.id),
        ...waitOperations.map(o => o.id),
      ],
      hypothesis: {
        rootCause: top
          ? `${possessive(service)} ${wait.label} ${
              wait.resource === 'queue' ? 'backs up' : 'is exhausted'
            }: ${top.metric} ${top.baseline === null ? 'is at' : 'rose'} ${
              top.baseline === null ? top.current : describeRise(top)
            }${
              top.baseline === null ? '' : ' against the baseline window'
            } and ${
              wait.resource === 'queue' ? 'work waits' : 'requests wait'
            } inside ${service}${errorNote}.`
          : `Requests of ${service} wait for its ${
              wait.label
            } and give up: "${clip(errors[0].template, 140)}" (${
              errors[0].count
            }x)${
              holders.length > 0
                ? `; the wait is ${possessive(service)} own time, not ${holders
                    .map(d => serviceOf(context, d))
                    .join(' or ')}`
                : ''
            }.`,
        affectedComponents: [service],
        reasoning: sentences(
          metrics.length > 0 &&
            `${wait.label[0].toUpperCase()}${wait.label.slice(
              1,
            )} metrics: ${metrics
              .slice(0, 3)
              .map(m => describeDelta(m.metric))
              .join('; ')}.`,
          errors.length > 0 &&
            `Errors name the wait: ${errors
              .slice(0, 2)
              .map(t => `${t.level} "${clip(t.template, 140)}" (${t.count}x)`)
              .join('; ')}.`,
          waitOperations.length > 0 &&
            `The wait itself got slower: ${waitOperations
              .slice(0, 2)
              .map(describeOperation)
              .join('; ')}.`,
          pathWait &&
            `On the slowest traces ${pathWait.operation} holds ${Math.round(
              pathWait.selfMs,
            )} ms of ${service}'s own time.`,
          holders.length > 0 &&
            `The client spans to ${holders
              .map(d => d.dependency)
              .join(' and ')} include the time spent waiting for the ${
              wait.label
            }, so they look slow or failing although the wait is inside ${service}.`,
          slowest.length > 0 &&
            `Slowest operation: ${describeOperation(slowest[0])}.`,
        ),
        diagnosticSteps: steps(service, wait.resource),
        evidenceIds: [
          ...metrics.slice(0, 4).map(m => m.metric.id),
          ...errors.slice(0, 3).map(t => t.id),
          ...waitOperations.slice(0, 2).map(o => o.id),
          ...(pathWait ? [pathWait.id] : []),
          ...holders.slice(0, 2).map(d => d.id),
          ...slowest.map(o => o.id),
          ...firingAlerts(context),
        ],
      },
    });
  }
  return candidates;
}

function describeRise(metric: {
  baseline: number | null;
  current: number;
  changeRatio: number | null;
}): string {
  if (metric.baseline === 0)
    return `from 0 to ${Math.round(metric.current * 100) / 100}`;
  const ratio = metric.changeRatio ?? 0;
  return ratio >= 1
    ? `x${Math.round((1 + ratio) * 10) / 10}`
    : `+${Math.round(ratio * 100)}%`;
}

/**
 * The dependencies whose client spans the wait sits in: those localization saw unchanged in
 * their own behaviour while their calls from here got slower or failed, those the wait's errors
 * name or were logged in, and (for a connection pool) the datastores the service calls; never
 * one whose own behaviour changed.
 */
function holderDependencies(
  context: ContextDocument,
  wait: (typeof WAITS)[number],
  errors: LogTemplate[],
): DependencySummary[] {
  return context.dependencies.filter(dep => {
    const suspect = context.localization?.suspects.find(
      s => s.service === serviceOf(context, dep),
    );
    if (suspect?.baselineKnown && suspect.changed) return false;
    // Its client spans got slower or fail while its own (server-side) behaviour did not change:
    // the added time is on the caller's side, in the wait.
    const unchangedItself =
      suspect !== undefined &&
      suspect.baselineKnown &&
      (dependencyLatency(dep) === 'changed' ||
        dependencyErrors(dep) === 'changed');
    if (unchangedItself) return true;
    const namedByErrors = errors.some(
      t =>
        t.relatedIds?.includes(dep.id) ||
        mentions(`${t.template} ${t.sample}`, dep.dependency),
    );
    const holder = wait.holders?.test(dep.dependency) ?? false;
    return namedByErrors || holder;
  });
}

/** The longest own time on a critical path spent in a span of the wait, if any. */
function criticalPathWait(
  context: ContextDocument,
  operations: RegExp | null,
): { id: string; operation: string; selfMs: number } | undefined {
  if (!operations) return undefined;
  let best: { id: string; operation: string; selfMs: number } | undefined;
  for (const path of context.criticalPaths ?? []) {
    for (const step of path.steps) {
      if (
        step.service === context.serviceName &&
        operations.test(step.operation) &&
        step.selfMs > (best?.selfMs ?? 0) &&
        // A wait counts when it holds at least 30% of the whole request: below that it is one
        // step among several (a request of a few calls spends roughly a third on each), not the
        // step that made the request slow.
        step.selfMs >= path.durationMs * 0.3
      ) {
        best = { id: path.id, operation: step.operation, selfMs: step.selfMs };
      }
    }
  }
  return best;
}

function steps(service: string, resource: WaitResource): string[] {
  switch (resource) {
    case 'connection-pool':
      return [
        `Compare ${possessive(
          service,
        )} connections in use with the pool's maximum and look for connections held by slow or leaked transactions (a missing release on an error path); on PostgreSQL: SELECT state, wait_event_type, count(*) FROM pg_stat_activity GROUP BY 1, 2.`,
        `Check that the queries themselves stay fast (the database's own query latency, or the query spans after the connection was acquired): if they do, the pool, not the database, is the bottleneck.`,
        `Find what holds connections longer than before: a recent deploy of ${service}, a long transaction, or more concurrent requests than the pool size.`,
      ];
    case 'lock':
      return [
        `Find the lock holders and waiters: a thread dump of ${service}, or on PostgreSQL SELECT pid, wait_event_type, wait_event, query FROM pg_stat_activity WHERE wait_event_type = 'Lock'.`,
        `Look for a code path of ${service} that holds the lock around slow work (I/O, a remote call) since a recent change.`,
      ];
    case 'threads':
      return [
        `Take a thread dump of ${service} and look for threads blocked on the same lock or call.`,
        `Compare the executor's queue and pool size with the request rate against the baseline.`,
      ];
    default:
      return [
        `Check whether ${possessive(
          service,
        )} consumers keep up: queue depth or consumer lag per partition, and whether any consumer stopped.`,
        `Find what slows the consumers: failing messages retried without end, a slow dependency, or a rate above the baseline.`,
      ];
  }
}

/**
 * Whether a log message reports a wait of the logging service itself: the wait's words, with no
 * callee named before them. A wrapped error ("GET inventory/stock answered 500: database pool
 * exhausted") is the callee's wait, passed on.
 */
export function ownWait(
  message: string,
  errors: RegExp,
  callees: string[],
): boolean {
  const match = errors.exec(message);
  if (!match) return false;
  return !callees.some(name => {
    const at = mentionIndex(message, name);
    return at !== -1 && at < match.index;
  });
}
