import {
  ContextDocument,
  DependencySummary,
  LogTemplate,
  OperationSummary,
  ServiceSuspect,
} from '@ai-triage/plugin-ai-triage-common';
import {
  MIN_ERROR_COUNT,
  MIN_ERROR_RATE,
  dependencyErrors,
  dependencyLatency,
  notUnchanged,
  templateSpiked,
} from './baseline';
import { FailureMode, failureModeOf, sharedNameResolution } from './network';
import { Candidate, GENERIC_KINDS } from './scoring';
import {
  clip,
  describeOperation,
  firingAlerts,
  mentions,
  metricText,
  ms,
  percent,
  possessive,
  rise,
  sentences,
} from './text';

/**
 * A dependency is suspect for latency when its calls hold at least 30% of the service's
 * server-span time: below that, even doubling its latency moves the service's own latency by
 * less than the p95 noise of a few hundred requests. (Hand-set on the simulated scenarios, where
 * the healthy dependencies hold 2-25%.)
 */
const MIN_LATENCY_SHARE = 0.3;
/** A metric naming the dependency corroborates it when it rose by half against the baseline. */
const MIN_METRIC_RISE = 0.5;

type DependencyCandidate = Candidate & { failureMode?: FailureMode };

/**
 * Slow or failing downstream dependencies of the alerted service.
 *
 * Evidence: the dependency's share of the service's request time (`latencyShare`), its error
 * rate and count, error logs that name it or come from its calls, metrics that name it, and the
 * words of its errors (network.ts reads the failure mode).
 *
 * Baseline comparison: its p95 must have grown (x1.5 and +20 ms) or its error rate doubled
 * (+5 points) against the baseline, else a large share is just the steady state of a proxy and
 * makes no hypothesis. Without a baseline for the dependency the rule still names it, marked
 * `baselineMissing` (capped low by scoring). When localization looked at the dependency's own
 * behaviour and found it unchanged, the dependency only passes a change on (or is steady): capped
 * at 0.25, and when the fault lies deeper the origin rule takes its evidence instead.
 *
 * Strength: the latency share itself for a slow one (a dependency holding 90% of the time
 * explains up to 90% of the slowness), 0.3 + error rate for a failing one, +0.1 for each
 * independent corroboration (slow and failing, logs, metrics, a named failure mode). The steps
 * are hand-set and meant to be replaced by calibration from reviews.
 */
export function dependencyCandidates(
  context: ContextDocument,
  explained: Set<string>,
): Candidate[] {
  const service = context.serviceName;
  const candidates = context.dependencies.flatMap(
    (dep, index): DependencyCandidate[] => {
      if (explained.has(dep.id)) return [];
      const latency = dependencyLatency(dep);
      const errors = dependencyErrors(dep);
      const slow =
        dep.latencyShare >= MIN_LATENCY_SHARE && notUnchanged(latency);
      const failing =
        dep.errorCount >= MIN_ERROR_COUNT &&
        dep.errorRate >= MIN_ERROR_RATE &&
        notUnchanged(errors);
      if (!slow && !failing) return [];
      const known =
        (slow && latency === 'changed') || (failing && errors === 'changed');

      const operations = entryOperations(context, failing);
      const entryIds = new Set(operations.map(o => o.id));
      // Logs that name the dependency, come from its calls, or (when its failures account for
      // most failed requests) are new errors of the failing requests.
      const logs = context.logTemplates.filter(
        t =>
          (t.level === 'ERROR' || t.level === 'FATAL' || t.level === 'WARN') &&
          !explained.has(t.id) &&
          (mentions(`${t.template} ${t.sample}`, dep.dependency) ||
            t.relatedIds?.includes(dep.id) ||
            (failing &&
              (dep.errorShare ?? 0) >= 0.5 &&
              templateSpiked(t, context) !== 'unchanged' &&
              (t.relatedIds ?? []).some(id => entryIds.has(id)))),
      );
      const metrics = context.metricDeltas.filter(
        m =>
          (m.changeRatio ?? 0) >= MIN_METRIC_RISE &&
          mentions(metricText(m), dep.dependency),
      );
      const direct = (t: LogTemplate) =>
        mentions(`${t.template} ${t.sample}`, dep.dependency) ||
        Boolean(t.relatedIds?.includes(dep.id));
      const ordered = [...logs.filter(direct), ...logs.filter(t => !direct(t))];
      const failingOps = operations.filter(o =>
        mentions(o.sampleError ?? '', dep.dependency),
      );
      const failure = failing
        ? failureModeOf(
            [
              ...ordered.map(t => t.sample || t.template),
              ...failingOps.map(o => o.sampleError ?? ''),
            ],
            [
              ...ordered.map(t => t.count),
              ...failingOps.map(o => o.errorCount),
            ],
          )
        : undefined;

      let strength = Math.max(
        slow ? dep.latencyShare : 0,
        failing ? Math.min(1, 0.3 + dep.errorRate) : 0,
      );
      if (slow && failing) strength += 0.1;
      if (logs.length) strength += 0.1;
      if (metrics.length) strength += 0.1;
      if (failure && failure.mode !== 'timeout') strength += 0.1;

      const peer = serviceOf(context, dep);
      const suspect = suspectOf(context, peer);
      // Localization found the fault further down, behind this dependency: it passes the
      // change on even when its own time changed too (a pool filling because the origin holds
      // its connections longer, retries).
      const behind = faultBehind(context, peer);
      const passesOn =
        (suspect !== undefined && suspect.baselineKnown && !suspect.changed) ||
        behind !== undefined;
      if (passesOn) strength = Math.min(strength, 0.25);
      // Localization saw its own behaviour change (self time, originating errors): one more
      // independent corroboration.
      const changedItself =
        suspect !== undefined && suspect.baselineKnown && suspect.changed;
      if (changedItself) strength += 0.05;

      const symptom = describeSymptom(service, dep, slow, failing);
      const corroboration = [
        ...logs
          .slice(0, 2)
          .map(t => `${t.level} log "${clip(t.template, 120)}" (${t.count}x)`),
        ...metrics
          .slice(0, 2)
          .map(
            m =>
              `${m.metric} rose ${rise(
                m.changeRatio ?? 0,
              )} against the baseline`,
          ),
      ];
      // How its calls fail, in the caller's words; else the kind localization read from the
      // peer's own evidence (the messages of the errors that originate in it, its pool or lock
      // waits, its metrics near a limit) when that is more than "slow" or "failing".
      const ownKind =
        changedItself && !GENERIC_KINDS.has(suspect.kind) ? suspect.kind : null;
      let kind: Candidate['kind'] = failing ? 'errors' : 'latency';
      if (failure && failure.mode !== 'timeout') kind = failure.kind;
      else if (ownKind) kind = ownKind;
      else if (slow && latency === 'changed') kind = 'latency';
      else if (failure) kind = failure.kind;
      return [
        {
          strength: Math.min(1, strength),
          order: 10 + index,
          rule: 'dependencies',
          kind,
          // A name lookup that failed is the failure of the service that looked the name up
          // (its resolver, the host name it was configured with): the host never saw a request.
          origin: failure?.mode === 'dns' ? service : peer,
          baselineMissing: known
            ? undefined
            : `no calls to ${dep.dependency} in the baseline to compare with`,
          // Only a comparison with the baseline accounts for the logs and operations: without
          // one (a peer never called before) they keep their own rules, which read their own
          // baselines (an error template new against the baseline).
          explains: known
            ? [
                ...logs.map(t => t.id),
                ...(failing ? operations.map(o => o.id) : []),
              ]
            : [],
          hypothesis: {
            rootCause: dependencyRootCause(service, dep, {
              slow,
              failing,
              symptom,
              failure,
            }),
            affectedComponents: [service],
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
              changedItself &&
                `Localization found ${possessive(
                  peer,
                )} own behaviour changed against the baseline (anomaly score ${
                  Math.round(suspect!.anomalyScore * 10) / 10
                }).`,
              passesOn &&
                (behind
                  ? `Localization found the fault further down, in ${behind}, which ${peer} calls: ${peer} passes it on.`
                  : `Localization found no change in ${possessive(
                      peer,
                    )} own behaviour against the baseline, so it passes the change on or is in its steady state.`),
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
    },
  );
  return [...sharedNameResolution(context, candidates), ...candidates];
}

/**
 * The service name of a dependency: localization's suspect of that name, or one whose name the
 * dependency's host starts with (`payments.shop.svc.cluster.local` is `payments`), else as is.
 */
export function serviceOf(
  context: ContextDocument,
  dep: DependencySummary,
): string {
  const suspects = context.localization?.suspects ?? [];
  const exact = suspects.find(s => s.service === dep.dependency);
  if (exact) return exact.service;
  const host = suspects.find(s => dep.dependency.startsWith(`${s.service}.`));
  return host?.service ?? dep.dependency;
}

/**
 * The origin localization named when it lies behind `peer`: reachable from it along edges whose
 * latency or errors changed. Undefined when there is none or the peer is the origin.
 */
function faultBehind(
  context: ContextDocument,
  peer: string,
): string | undefined {
  const localization = context.localization;
  const origin = localization?.origin;
  if (!localization || !origin || origin === peer) return undefined;
  const reached = new Set([peer]);
  const queue = [peer];
  while (queue.length) {
    const from = queue.shift()!;
    for (const edge of localization.edges) {
      if (edge.from !== from || !edge.changed.length || reached.has(edge.to))
        continue;
      if (edge.to === origin) return origin;
      reached.add(edge.to);
      queue.push(edge.to);
    }
  }
  return undefined;
}

function suspectOf(
  context: ContextDocument,
  service: string,
): ServiceSuspect | undefined {
  return context.localization?.suspects.find(s => s.service === service);
}

function describeSymptom(
  service: string,
  dep: DependencySummary,
  slow: boolean,
  failing: boolean,
): string {
  return [
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
}

/** Operations that serve requests and show the symptom: failing ones, else the slowest. */
function entryOperations(
  context: ContextDocument,
  failing: boolean,
): OperationSummary[] {
  const withErrors = context.operations.filter(o => o.errorCount > 0);
  if (failing && withErrors.length) return withErrors.slice(0, 2);
  return [...context.operations].sort((a, b) => b.p95Ms - a.p95Ms).slice(0, 1);
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
