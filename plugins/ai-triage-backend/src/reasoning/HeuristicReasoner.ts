import {
  ContextDocument,
  DependencySummary,
  HypothesisDraft,
  HypothesisSet,
  LogTemplate,
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
  /** How a suspect dependency's calls fail, when its errors say. */
  failureMode?: FailureMode;
};

// Thresholds. A dependency is suspect when its calls take a large share of the service's time
// (and got slower than in the baseline window) or a real fraction of them fail; an error
// template when it repeats; a resource metric when it rose sharply against the baseline window.
const MIN_LATENCY_SHARE = 0.3;
const MIN_LATENCY_GROWTH = 1.5;
const MIN_LATENCY_GROWTH_MS = 20;
const MIN_ERROR_RATE = 0.05;
const MIN_ERROR_COUNT = 3;
const MIN_TEMPLATE_COUNT = 5;
const MIN_SATURATION_RISE = 0.5;
const HIGH_UTILIZATION = 0.9;
/** A change is suspect when trouble began at most this long after it (or a minute before). */
const CHANGE_LEAD_MS = 30 * 60_000;
const CHANGE_SLACK_MS = 60_000;

const HIGH_CONFIDENCE = 0.65;
const MEDIUM_CONFIDENCE = 0.4;

const ERROR_LEVELS = new Set(['ERROR', 'FATAL']);

/** Metrics of things that run out: CPU, memory, connections and pools, queues, threads, disks. */
const SATURATION_METRIC =
  /cpu|memory|heap|\bgc\b|garbage|connection|pool|queue|thread|goroutine|saturation|utilization|usage|lag|backlog|in_?flight|pending|file_?descriptor|open_?fds|throttl|filesystem|disk|inode/i;
const UTILIZATION_METRIC = /utilization|usage|ratio|percent/i;
/** Counts that are 0 when healthy: any value above a zero baseline is a rise. */
const ZERO_WHEN_HEALTHY_METRIC = /pending|throttl|queue|backlog|wait|restart/i;

/** Metrics and events of restarting containers. */
const RESTART_METRIC = /restart/i;
const RESTART_LOG =
  /oom-?kill(ed|ing)?|back-?off restarting|restarting failed container|crash-?loop|container .* (died|exited)|killed process/i;

/**
 * Log lines of a change to the service: Kubernetes rollout events, deploy and release notes,
 * configuration and feature-flag changes.
 */
const CHANGE_LOG =
  /\b(deploy(ed|ing|ment)?|rolled out|roll(ing)?[ -]?out|rollout|scaled up replica set|pulled image|new revision|release[sd]? v?\d+\.\d+|upgraded? to v?\d+\.\d+|config(uration)? (change[sd]?|reload(ed)?|update[sd]?)|feature[ -]flag)\b/i;

/** How a dependency's calls fail, recognised from its error messages. First match wins. */
const FAILURE_MODES: Array<{
  mode: 'tls' | 'dns' | 'rate-limit' | 'refused' | 'timeout';
  pattern: RegExp;
}> = [
  {
    mode: 'tls',
    pattern:
      /x509[^"\n]{0,80}|certificate (has )?(expired|is not yet valid|signed by unknown authority|verify failed)[^"\n]{0,40}|tls(:| handshake)[^"\n]{0,80}|ssl[_ ]?(handshake|error)[^"\n]{0,60}/i,
  },
  {
    mode: 'dns',
    pattern:
      /lookup \S+ on \S+:53: [^"\n]{0,40}|no such host|nxdomain|enotfound|eai_again|getaddrinfo[^"\n]{0,40}|name resolution[^"\n]{0,40}|temporary failure in name resolution/i,
  },
  {
    mode: 'rate-limit',
    pattern:
      /\b429\b(?: too many requests)?|too many requests|rate[ -]?limit(ed|ing)?|quota exceeded/i,
  },
  {
    mode: 'refused',
    pattern: /econnrefused|connection refused[^"\n]{0,40}/i,
  },
  {
    mode: 'timeout',
    pattern: /timed? ?out[^"\n]{0,40}|deadline exceeded|etimedout/i,
  },
];
type FailureMode = (typeof FAILURE_MODES)[number]['mode'];

/**
 * Kinds of resources a service can run out of: the metrics that show it, and the error messages
 * that name it (which then count for the resource, not as a cause of their own).
 */
const RESOURCES: Array<{
  kind: 'connection-pool' | 'memory' | 'disk' | 'cpu' | 'threads' | 'queue';
  metric: RegExp;
  errors: RegExp | null;
  /** Strength at most; a growing queue is more often a symptom than a cause. */
  cap: number;
  /** The metrics that name the resource best, for the root cause text. */
  primary?: RegExp;
}> = [
  {
    kind: 'connection-pool',
    metric: /connection|pool/i,
    errors:
      /\bpool\b|connection is not available|acquir\w* (a )?connection|too many (clients|connections)|remaining connection slots/i,
    cap: 0.9,
  },
  {
    kind: 'memory',
    metric: /memory|heap|\bgc\b|garbage/i,
    errors: /out ?of ?memory|heap space|\boom\b|oomkill|memory limit/i,
    cap: 0.9,
    primary: /memory|heap/i,
  },
  {
    kind: 'disk',
    metric: /filesystem|disk|volume|inode/i,
    errors:
      /no space left|disk (is )?full|enospc|read-only file ?system|disk quota/i,
    cap: 0.9,
  },
  {
    kind: 'cpu',
    metric: /cpu|throttl/i,
    errors: null,
    cap: 0.9,
  },
  {
    kind: 'threads',
    metric: /thread|goroutine|file_?descriptor|open_?fds/i,
    errors:
      /rejectedexecution|unable to create (new )?native thread|too many open files/i,
    cap: 0.9,
  },
  {
    kind: 'queue',
    metric:
      /queue|lag|backlog|in_?flight|pending|saturation|utilization|usage/i,
    errors: null,
    cap: 0.7,
  },
];
type ResourceKind = (typeof RESOURCES)[number]['kind'];

/**
 * The deterministic reasoner: ranks the anomalies in a context document into at most three
 * hypotheses, each citing the evidence it stands on. It looks for a recent change followed by
 * new errors, a slow or failing downstream dependency (and how its calls fail: TLS, DNS, rate
 * limits, refused connections, timeouts), a repeated error log template, an exhausted resource
 * (connection pool, memory with restarts, disk, CPU, threads, queues) and failing operations.
 * Evidence a cause accounts for (a dependency's errors in logs, a resource's errors, the errors
 * that began after a deploy) strengthens that hypothesis instead of making a new one. Where the
 * context carries baselines (per dependency, operation and log template), only what changed
 * against the baseline window counts. No network, no randomness: the same document always gives
 * the same answer. It is the default reasoner and the fallback when an LLM is unavailable.
 */
export class HeuristicReasoner implements Reasoner {
  readonly name = 'heuristic';

  async reason(context: ContextDocument): Promise<HypothesisSet> {
    const changes = recentChanges(context);
    const dependencies = suspectDependencies(context);
    const explained = new Set(
      [...changes, ...dependencies].flatMap(c => c.explains ?? []),
    );
    const resources = saturation(context, explained);
    for (const id of resources.flatMap(c => c.explains ?? [])) {
      explained.add(id);
    }
    const errors = errorTemplates(context, explained);
    for (const id of errors.flatMap(c => c.explains ?? [])) {
      explained.add(id);
    }
    const candidates = [
      ...changes,
      ...dependencies,
      ...errors,
      ...resources,
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
// Recent changes

/** Whether a template is new in the incident window (unknown without a baseline: assume so). */
function isNew(template: LogTemplate): boolean {
  return template.baselineCount === undefined || template.baselineCount === 0;
}

/** Whether an operation's errors are new against the baseline (unknown: assume so). */
function hasNewErrors(operation: OperationSummary): boolean {
  if (
    operation.baselineErrorCount === undefined ||
    operation.baselineSpanCount === undefined ||
    operation.baselineSpanCount === 0
  ) {
    return true;
  }
  const baselineRate =
    operation.baselineErrorCount / operation.baselineSpanCount;
  return operation.errorRate >= 2 * baselineRate + MIN_ERROR_RATE;
}

/**
 * A change to the service (a rollout, a deploy, a config or feature-flag change) seen in its
 * logs, followed within minutes by new errors: the change is the likely cause and accounts for
 * those errors.
 */
function recentChanges(context: ContextDocument): Candidate[] {
  const service = context.serviceName;
  const changes = context.logTemplates
    .filter(
      t =>
        !ERROR_LEVELS.has(t.level) &&
        isNew(t) &&
        CHANGE_LOG.test(`${t.template} ${t.sample}`),
    )
    .sort(
      (a, b) =>
        Date.parse(a.firstSeen) - Date.parse(b.firstSeen) ||
        (a.id < b.id ? -1 : 1),
    );
  if (changes.length === 0) return [];
  const changedAt = Math.min(...changes.map(t => Date.parse(t.firstSeen)));
  const lastChangeAt = Math.max(...changes.map(t => Date.parse(t.lastSeen)));
  const after = (iso: string) => {
    const at = Date.parse(iso);
    return (
      at >= changedAt - CHANGE_SLACK_MS && at <= lastChangeAt + CHANGE_LEAD_MS
    );
  };
  const newErrors = context.logTemplates.filter(
    t =>
      ERROR_LEVELS.has(t.level) &&
      t.count >= MIN_ERROR_COUNT &&
      isNew(t) &&
      after(t.firstSeen),
  );
  const failing = context.operations.filter(
    o =>
      o.errorCount >= MIN_ERROR_COUNT &&
      o.errorRate >= MIN_ERROR_RATE &&
      hasNewErrors(o),
  );
  const trouble = newErrors.length > 0 || failing.length > 0;
  const change = changes[changes.length - 1];
  const firstError = newErrors[0];
  let strength = trouble ? 0.75 : 0.3;
  if (trouble && newErrors.length > 0 && failing.length > 0) strength += 0.1;
  if (changes.length > 1) strength += 0.05;
  const described = `"${clip(change.sample || change.template, 160)}" at ${time(
    change.firstSeen,
  )}`;
  return [
    {
      strength: Math.min(1, strength),
      order: 0,
      explains: trouble
        ? [...newErrors.map(t => t.id), ...failing.map(o => o.id)]
        : [],
      hypothesis: {
        rootCause: trouble
          ? `A recent change (deploy) of ${service} broke it: ${described}, and ${
              firstError
                ? `a new error began right after it: "${clip(
                    firstError.template,
                    160,
                  )}"`
                : `${failing[0].operation} began failing right after it`
            }.`
          : `A recent change (deploy) of ${service} may be involved: ${described}.`,
        affectedComponents: [service],
        reasoning: sentences(
          `${possessive(
            service,
          )} logs record a change in the incident window: ${changes
            .slice(0, 3)
            .map(t => `"${clip(t.template, 120)}" (${time(t.firstSeen)})`)
            .join('; ')}.`,
          newErrors.length > 0 &&
            `Error templates that did not occur in the baseline window began after it: ${newErrors
              .slice(0, 3)
              .map(
                t =>
                  `"${clip(t.template, 120)}" (${t.count}x from ${time(
                    t.firstSeen,
                  )})`,
              )
              .join('; ')}.`,
          failing.length > 0 &&
            `Failing operations: ${failing
              .slice(0, 3)
              .map(describeOperation)
              .join('; ')}.`,
          !trouble && 'No new errors followed it, so it is only a lead.',
        ),
        diagnosticSteps: [
          `Compare the running version of ${service} with the previous one: kubectl rollout history deployment/${service}, and the diff of the release.`,
          `Roll back if the errors began with the change: kubectl rollout undo deployment/${service}, then watch the error rate.`,
          `Read the first failing requests after ${change.firstSeen} (trace ids on the error logs) to find the code path the change broke.`,
        ],
        evidenceIds: [
          ...changes.slice(-3).map(t => t.id),
          ...newErrors.slice(0, 3).map(t => t.id),
          ...failing.slice(0, 2).map(o => o.id),
          ...firingAlerts(context),
        ],
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Downstream dependencies

/** Whether a dependency got slower than in the baseline window (unknown: assume so). */
function latencyGrew(dep: DependencySummary): boolean {
  if (dep.baselineP95Ms === undefined) return true;
  if (dep.baselineP95Ms === null) return true;
  return (
    dep.p95Ms >= MIN_LATENCY_GROWTH * dep.baselineP95Ms &&
    dep.p95Ms - dep.baselineP95Ms >= MIN_LATENCY_GROWTH_MS
  );
}

/** Whether a dependency fails more than in the baseline window (unknown: assume so). */
function errorsGrew(dep: DependencySummary): boolean {
  if (
    dep.baselineErrorCount === undefined ||
    dep.baselineCallCount === undefined ||
    dep.baselineCallCount === 0
  ) {
    return true;
  }
  return (
    dep.errorRate >=
    2 * (dep.baselineErrorCount / dep.baselineCallCount) + MIN_ERROR_RATE
  );
}

/** The failure mode its messages name, with the words that show it. */
function failureModeOf(
  texts: string[],
): { mode: FailureMode; excerpt: string } | undefined {
  for (const { mode, pattern } of FAILURE_MODES) {
    for (const text of texts) {
      const match = pattern.exec(text);
      if (match) return { mode, excerpt: match[0].trim() };
    }
  }
  return undefined;
}

function suspectDependencies(context: ContextDocument): Candidate[] {
  const service = context.serviceName;
  const candidates = context.dependencies.flatMap((dep, index): Candidate[] => {
    const slow = dep.latencyShare >= MIN_LATENCY_SHARE && latencyGrew(dep);
    const failing =
      dep.errorCount >= MIN_ERROR_COUNT &&
      dep.errorRate >= MIN_ERROR_RATE &&
      errorsGrew(dep);
    if (!slow && !failing) return [];

    const operations = entryOperations(context, failing);
    const entryIds = new Set(operations.map(o => o.id));
    // Logs that name the dependency, come from its calls, or (when its failures account for most
    // failed requests) are new errors of the failing requests.
    const logs = context.logTemplates.filter(
      t =>
        (t.level === 'ERROR' || t.level === 'FATAL' || t.level === 'WARN') &&
        (mentions(`${t.template} ${t.sample}`, dep.dependency) ||
          t.relatedIds?.includes(dep.id) ||
          (failing &&
            (dep.errorShare ?? 0) >= 0.5 &&
            isNew(t) &&
            (t.relatedIds ?? []).some(id => entryIds.has(id)))),
    );
    const metrics = context.metricDeltas.filter(
      m =>
        (m.changeRatio ?? 0) >= MIN_SATURATION_RISE &&
        mentions(metricText(m), dep.dependency),
    );
    const direct = (t: LogTemplate) =>
      mentions(`${t.template} ${t.sample}`, dep.dependency) ||
      Boolean(t.relatedIds?.includes(dep.id));
    const failure = failing
      ? failureModeOf([
          ...logs.filter(direct).map(t => t.sample || t.template),
          ...logs.filter(t => !direct(t)).map(t => t.sample || t.template),
          ...operations
            .map(o => o.sampleError ?? '')
            .filter(text => mentions(text, dep.dependency)),
        ])
      : undefined;

    let strength = Math.max(
      slow ? dep.latencyShare : 0,
      failing ? Math.min(1, 0.3 + dep.errorRate) : 0,
    );
    if (slow && failing) strength += 0.1;
    if (logs.length) strength += 0.1;
    if (metrics.length) strength += 0.1;
    if (failure && failure.mode !== 'timeout') strength += 0.1;

    const symptom = [
      slow
        ? `its calls take ${percent(dep.latencyShare)} of ${possessive(
            service,
          )} request time (p95 ${ms(dep.p95Ms)}${
            typeof dep.baselineP95Ms === 'number'
              ? `, ${ms(dep.baselineP95Ms)} in the baseline`
              : ''
          })`
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
        order: 10 + index,
        explains: [
          ...logs.map(t => t.id),
          ...(failing ? operations.map(o => o.id) : []),
        ],
        hypothesis: {
          rootCause: dependencyRootCause(service, dep, {
            slow,
            failing,
            symptom,
            failure,
          }),
          affectedComponents: [service, dep.dependency],
          reasoning: sentences(
            `${service} depends on ${dep.dependency}: ${symptom}.`,
            failure !== undefined &&
              `The errors name the failure: "${clip(failure.excerpt, 160)}".`,
            operations.length > 0 &&
              `Affected operations: ${operations
                .map(describeOperation)
                .join('; ')}.`,
            corroboration.length > 0 &&
              `Corroborated by ${corroboration.join('; ')}.`,
          ),
          diagnosticSteps: dependencySteps(service, dep, slow, failure?.mode),
          evidenceIds: [
            dep.id,
            ...operations.map(o => o.id),
            ...logs.slice(0, 3).map(t => t.id),
            ...metrics.slice(0, 3).map(m => m.id),
            ...firingAlerts(context),
          ],
        },
        failureMode: failure?.mode,
      },
    ];
  });
  return [...sharedNameResolution(context, candidates), ...candidates];
}

function dependencyRootCause(
  service: string,
  dep: DependencySummary,
  options: {
    slow: boolean;
    failing: boolean;
    symptom: string;
    failure?: { mode: FailureMode; excerpt: string };
  },
): string {
  const { failure, symptom } = options;
  const peer = dep.dependency;
  switch (failure?.mode) {
    case 'tls':
      return `Calls from ${service} to ${peer} fail in the TLS handshake: ${possessive(
        peer,
      )} certificate is rejected ("${clip(
        failure.excerpt,
        120,
      )}"); ${symptom}.`;
    case 'dns':
      return `${peer} cannot be resolved: DNS lookups from ${service} fail ("${clip(
        failure.excerpt,
        120,
      )}"), so ${symptom}.`;
    case 'rate-limit':
      return `${peer} rate-limits ${service}: calls are rejected with 429 Too Many Requests ("${clip(
        failure.excerpt,
        80,
      )}"); ${symptom}.`;
    case 'refused':
      return `${peer} refuses connections from ${service} ("${clip(
        failure.excerpt,
        80,
      )}"): it is down or not listening; ${symptom}.`;
    default:
      return `Downstream dependency ${peer} is ${[
        options.slow ? 'slow' : '',
        options.failing ? 'failing' : '',
      ]
        .filter(Boolean)
        .join(
          ' and ',
        )}: ${symptom}, which ${service} passes on to its callers.`;
  }
}

/**
 * Several dependencies failing with DNS errors at once point at name resolution itself (the
 * cluster DNS, or the service's resolver), not at the dependencies.
 */
function sharedNameResolution(
  context: ContextDocument,
  candidates: Candidate[],
): Candidate[] {
  const dns = candidates.filter(c => c.failureMode === 'dns');
  if (dns.length < 2) return [];
  const service = context.serviceName;
  const peers = dns.map(c => c.hypothesis.affectedComponents[1]);
  return [
    {
      strength: Math.min(1, Math.max(...dns.map(c => c.strength)) + 0.1),
      order: 5,
      hypothesis: {
        rootCause: `Name resolution (DNS) fails for ${service}: lookups of ${peers.join(
          ' and ',
        )} fail at the same time, so the cluster DNS or ${possessive(
          service,
        )} resolver is the likely cause rather than these services.`,
        affectedComponents: [service, 'dns', ...peers],
        reasoning: sentences(
          `Calls to ${peers.length} different dependencies fail with DNS errors in the same window.`,
          ...dns.map(c => `${c.hypothesis.reasoning.split('. ')[0]}.`),
        ),
        diagnosticSteps: [
          `Check the cluster DNS: kubectl -n kube-system get pods -l k8s-app=kube-dns, its logs, replicas and CPU.`,
          `Resolve the names from a pod of ${service}: kubectl exec deploy/${service} -- nslookup ${peers[0]}.`,
          `Look for recent changes to DNS (CoreDNS config, replicas, NetworkPolicies blocking port 53).`,
        ],
        evidenceIds: unique(dns.flatMap(c => c.hypothesis.evidenceIds)),
      },
    },
  ];
}

function dependencySteps(
  service: string,
  dep: DependencySummary,
  slow: boolean,
  mode?: FailureMode,
): string[] {
  const peer = dep.dependency;
  const first = `Search traces of ${service} for its calls to ${peer} in the incident window, e.g. TraceQL { resource.service.name = "${service}" && kind = client && span.peer.service = "${peer}" }, and compare their durations and status with the baseline window.`;
  switch (mode) {
    case 'tls':
      return [
        `Check the certificate ${peer} presents: openssl s_client -connect <host>:443 -servername <host> </dev/null | openssl x509 -noout -dates -issuer.`,
        `Renew or rotate the certificate (or fix the trust store of ${service} if the issuer changed).`,
        first,
      ];
    case 'dns':
      return [
        `Resolve ${peer} from a pod of ${service}: kubectl exec deploy/${service} -- nslookup ${peer}.`,
        `Check the cluster DNS (kube-system CoreDNS pods, logs, replicas) and the Service of ${peer}.`,
        first,
      ];
    case 'rate-limit':
      return [
        `Check ${possessive(
          peer,
        )} rate limits and your current usage (its dashboard, Retry-After and X-RateLimit-* headers).`,
        `Reduce the call rate of ${service}: cache answers, back off honouring Retry-After, or ask for a higher quota.`,
        first,
      ];
    default:
      return [
        first,
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
}

// ---------------------------------------------------------------------------------------------
// Error log templates

/** Whether a template occurs clearly more often than in the baseline (unknown: assume so). */
function spiked(template: LogTemplate): boolean {
  return (
    template.baselineCount === undefined ||
    template.count >= 2 * template.baselineCount + MIN_TEMPLATE_COUNT
  );
}

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
        spiked(t) &&
        !explained.has(t.id),
    )
    .map((template, index): Candidate => {
      let strength = 0.4;
      if (template.count >= 20) strength = 0.55;
      if (template.count >= 100) strength = 0.7;
      if (template.level === 'FATAL') strength += 0.1;
      if (erroring.length) strength += 0.1;
      const text = clip(template.template, 160);
      let baselineNote = '';
      if (template.baselineCount === 0) {
        baselineNote = ' and never in the baseline window';
      } else if (template.baselineCount !== undefined) {
        baselineNote = ` (${template.baselineCount} in the baseline window)`;
      }
      const prefix = template.template.split('<*>')[0].trim().slice(0, 60);
      return {
        strength: Math.min(1, strength),
        order: 100 + index,
        // The operations failing with this very error are its symptom.
        explains: context.operations
          .filter(
            o =>
              o.sampleError !== null &&
              prefix.length >= 12 &&
              o.sampleError.includes(prefix),
          )
          .map(o => o.id),
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
            } times in the incident window${baselineNote}}; a sample reads "${clip(
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

function resourceOf(metric: MetricDelta): ResourceKind | undefined {
  return RESOURCES.find(r => r.metric.test(metric.metric))?.kind;
}

/**
 * One hypothesis per kind of resource whose metrics rose (or sit near full): a connection pool,
 * memory (with container restarts), a disk, CPU, threads, a queue. Error logs that name the
 * resource ("Connection is not available", "OutOfMemoryError", "no space left on device") are
 * its evidence, not causes of their own.
 */
function saturation(
  context: ContextDocument,
  explained: Set<string>,
): Candidate[] {
  const service = context.serviceName;
  const rising = context.metricDeltas
    .filter(m => !RESTART_METRIC.test(m.metric))
    .map(metric => ({ metric, strength: saturationStrength(metric) }))
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
    if (!kind) continue;
    byKind.set(kind, [...(byKind.get(kind) ?? []), entry]);
  }
  const candidates = [...byKind].map(([kind, metrics], index): Candidate => {
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
    const top = (
      metrics.find(m => resource.primary?.test(m.metric.metric)) ?? metrics[0]
    ).metric;
    const described = metrics
      .slice(0, 3)
      .map(({ metric }) => describeDelta(metric));
    return {
      strength: Math.min(resource.cap, strength),
      order: 200 + index,
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
        rootCause: saturationRootCause(service, kind, top, {
          error: errors[0],
          restarts: withRestarts,
        }),
        affectedComponents: [service],
        reasoning: sentences(
          `Resource metrics rose against the baseline: ${described.join(
            '; ',
          )}.`,
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
        diagnosticSteps: saturationSteps(
          service,
          metrics.map(r => r.metric),
        ),
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
  return candidates;
}

function saturationRootCause(
  service: string,
  kind: ResourceKind,
  top: MetricDelta,
  options: { error?: LogTemplate; restarts: boolean },
): string {
  const errorNote = options.error
    ? `; errors say "${clip(options.error.template, 100)}"`
    : '';
  switch (kind) {
    case 'connection-pool':
      return `${possessive(service)} connection pool is exhausted: ${
        top.metric
      } rose ${riseOf(
        top,
      )} against the baseline window and requests wait for a free connection${errorNote}.`;
    case 'memory':
      return `${service} runs out of memory (a leak or an undersized limit): ${
        top.metric
      } rose ${riseOf(top)} against the baseline window${
        options.restarts ? ' and its containers restart' : ''
      }${errorNote}.`;
    case 'disk':
      return `${possessive(service)} disk is full: ${
        top.metric
      } is at ${percent(Math.min(1, top.current))}${errorNote}.`;
    case 'cpu':
      return `${service} is starved of CPU (throttled at its limit): ${
        top.metric
      } rose ${riseOf(
        top,
      )} against the baseline window, so requests queue for CPU time.`;
    default:
      return `${service} is saturated: ${top.metric} rose sharply against the baseline window, so work queues up for the exhausted resource${errorNote}.`;
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

function saturationStrength(metric: MetricDelta): number {
  if (!SATURATION_METRIC.test(metric.metric)) return 0;
  let strength = 0;
  if (
    metric.baseline === 0 &&
    metric.current > 0 &&
    ZERO_WHEN_HEALTHY_METRIC.test(metric.metric)
  ) {
    strength = 0.55;
  }
  const change = metric.changeRatio ?? 0;
  if (change >= 2) strength = 0.7;
  else if (change >= 1) strength = Math.max(strength, 0.55);
  else if (change >= MIN_SATURATION_RISE) strength = Math.max(strength, 0.4);
  const nearlyFull =
    UTILIZATION_METRIC.test(metric.metric) &&
    metric.current >= HIGH_UTILIZATION &&
    metric.current <= 1;
  if (nearlyFull) strength = Math.max(strength, 0.4) + 0.15;
  return strength;
}

function describeDelta(metric: MetricDelta): string {
  return metric.baseline === null
    ? `${metric.id} at ${round(metric.current)}`
    : `${metric.id} from ${round(metric.baseline)} to ${round(
        metric.current,
      )} (${riseOf(metric)})`;
}

function riseOf(metric: MetricDelta): string {
  if (metric.baseline === 0) return `from 0 to ${round(metric.current)}`;
  return rise(metric.changeRatio ?? 0);
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
        hasNewErrors(o) &&
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
