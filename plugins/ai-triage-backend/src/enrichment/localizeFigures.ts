import {
  ServiceEdge,
  ServiceSuspect,
} from '@ai-triage/plugin-ai-triage-common';
import { SpanRecord } from '@ai-triage/plugin-ai-triage-node';
import { NodeEvidence, kindOf } from './faultKind';
import { MIN_BASELINE_MS, MIN_BASELINE_REQUESTS } from './onset';
import { CallShare, SpanShare } from './serviceGraph';
import { compareText, median, percentile, robustZ, round } from './stats';

/**
 * The figures localization compares (see localize.ts): every edge's latency and errors and
 * every node's own time and originating errors, each against the baseline window.
 */
/**
 * A robust z of 3 (3 scaled MADs from the baseline median) is the usual outlier cut-off: for
 * normal noise 1.4826 x MAD estimates sigma, and 3 sigma leaves 0.13 % on one side.
 */
const MIN_ANOMALY_SCORE = 3;
/**
 * Noise floors of the robust z (a healthy series is often constant, MAD 0): 1 ms or 5 % of the
 * healthy median own time (bucket jitter of a mean over some tens of requests), and one
 * percentage point of error rate. The same floors as the onset's change-point test.
 */
const OWN_TIME_FLOOR_MS = 1;
const OWN_TIME_FLOOR_SHARE = 0.05;
const ERROR_RATE_FLOOR = 0.01;
/**
 * What counts as a change that matters, beyond being unusual: own time p95 up by 20 % and
 * 5 ms (below that, a p95 of some tens of requests moves by itself between healthy windows),
 * an error rate up by 2 points. An edge's latency must grow by half and by 10 ms (network
 * jitter on a call), its error rate by 5 points; an edge needs 5 calls in the baseline to have
 * one at all. Errors must also be unlikely under the baseline's rate (see errorsUnlikely).
 */
const OWN_TIME_GROWTH = 1.2;
const OWN_TIME_MIN_GROWTH_MS = 5;
const ERROR_RATE_GROWTH = 0.02;
/**
 * Errors grew when at least 2 (one failure happens in healthy traffic too) are this unlikely
 * under the baseline's rate: a binomial tail of 1 %. Triage runs when the alert arrives, often
 * with only seconds of the fault and a handful of calls (2 failures of 5 against 0 of 40 is a
 * tail of 0.5 %), so a fixed count would miss the start of every fault on small services. A walk
 * tests a few tens of edges; a false changed edge only lets it look one hop further, since the
 * origin still needs a node whose own behaviour changed.
 */
const ERROR_TAIL = 0.01;
export const MIN_ERRORS = 2;
const EDGE_LATENCY_GROWTH = 1.5;
const EDGE_LATENCY_MIN_GROWTH_MS = 10;
export const EDGE_ERROR_RATE_GROWTH = 0.05;
const MIN_EDGE_BASELINE_CALLS = 5;
/**
 * A node's own figures have a baseline with data in at least 3 of its buckets (a median and
 * MAD of fewer is no statistic), and, as for the alerted service's onset, with a baseline
 * window of at least MIN_BASELINE_MS and MIN_BASELINE_REQUESTS requests.
 */
const MIN_BASELINE_BUCKETS = 3;

/** One node's own figures in one window. */
type Figures = {
  requests: number;
  ownMs: number[];
  waitMs: number;
  originatingErrors: number;
  passedOnErrors: number;
  errorMessages: string[];
};

export type LocalizationInput = {
  spans: SpanRecord[];
  alertedService: string;
  baseline: { fromMs: number; toMs: number } | null;
  incident: { fromMs: number; toMs: number };
  bucketMs: number;
  maxDepth: number;
  evidence?: Map<string, NodeEvidence>;
  entityRefs?: Map<string, string>;
  /** Catalog `dependsOn` edges (caller → callee service names). */
  catalogEdges?: Array<{ from: string; to: string }>;
};

/**
 * Whether `errors` of `calls` are unlikely under the baseline's error rate: the binomial tail
 * P(X >= errors) below ERROR_TAIL, the baseline rate estimated by Laplace's rule of succession
 * ((errors + 1) / (calls + 2)), so a baseline without errors is not a rate of 0.
 */
export function errorsUnlikely(
  errors: number,
  calls: number,
  baselineErrors: number,
  baselineCalls: number,
): boolean {
  if (errors < MIN_ERRORS || calls === 0) return false;
  const p = (baselineErrors + 1) / (baselineCalls + 2);
  // P(X < errors) by the recurrence pmf(i + 1) = pmf(i) (n - i) / (i + 1) p / (1 - p).
  let pmf = (1 - p) ** calls;
  let below = 0;
  for (let i = 0; i < errors; i++) {
    below += pmf;
    pmf *= ((calls - i) / (i + 1)) * (p / (1 - p));
  }
  return 1 - below < ERROR_TAIL;
}

export function longEnough(
  window: { fromMs: number; toMs: number } | null,
): boolean {
  return window !== null && window.toMs - window.fromMs >= MIN_BASELINE_MS;
}

export function emptyEdge(from: string, to: string): ServiceEdge {
  return {
    from,
    to,
    source: 'catalog',
    callCount: 0,
    errorRate: 0,
    baselineErrorRate: null,
    p95Ms: null,
    baselineP95Ms: null,
    changed: [],
  };
}

export function edgeFigures(
  calls: CallShare[],
  input: LocalizationInput,
  inWindow: (ms: number, w: { fromMs: number; toMs: number } | null) => boolean,
): ServiceEdge[] {
  const groups = new Map<string, CallShare[]>();
  for (const call of calls) {
    const key = `${call.from}\u0000${call.to}`;
    const list = groups.get(key);
    if (list) list.push(call);
    else groups.set(key, [call]);
  }
  return [...groups.values()].map(group => {
    const now = group.filter(c => inWindow(c.span.startTimeMs, input.incident));
    const before = group.filter(c =>
      inWindow(c.span.startTimeMs, input.baseline),
    );
    const p95 = (list: CallShare[]) =>
      list.length
        ? percentile(
            list.map(c => c.span.durationMs).sort((a, b) => a - b),
            0.95,
          )
        : null;
    const errors = (list: CallShare[]) =>
      list.filter(c => c.span.statusCode === 2).length;
    const rate = (list: CallShare[]) =>
      list.length ? errors(list) / list.length : 0;
    const known =
      longEnough(input.baseline) && before.length >= MIN_EDGE_BASELINE_CALLS;
    const changed: ServiceEdge['changed'] = [];
    const nowP95 = p95(now);
    const beforeP95 = p95(before);
    if (
      known &&
      nowP95 !== null &&
      beforeP95 !== null &&
      nowP95 >= beforeP95 * EDGE_LATENCY_GROWTH &&
      nowP95 - beforeP95 >= EDGE_LATENCY_MIN_GROWTH_MS
    ) {
      changed.push('latency');
    }
    if (
      known &&
      errorsUnlikely(errors(now), now.length, errors(before), before.length) &&
      rate(now) - rate(before) >= EDGE_ERROR_RATE_GROWTH
    ) {
      changed.push('errors');
    }
    return {
      from: group[0].from,
      to: group[0].to,
      source: 'traces' as ServiceEdge['source'],
      callCount: now.length,
      errorRate: round(rate(now), 4),
      baselineErrorRate: known ? round(rate(before), 4) : null,
      p95Ms: nowP95 === null ? null : round(nowP95),
      baselineP95Ms: known && beforeP95 !== null ? round(beforeP95) : null,
      changed,
    };
  });
}

/** Own figures of a node in a window: own time per (trace, node) request, errors. */
function figuresOf(shares: SpanShare[]): Figures {
  const perRequest = new Map<string, number>();
  let waitMs = 0;
  let originatingErrors = 0;
  let passedOnErrors = 0;
  const errorMessages: string[] = [];
  for (const share of shares) {
    perRequest.set(
      share.span.traceId,
      (perRequest.get(share.span.traceId) ?? 0) + share.selfMs,
    );
    if (share.wait) waitMs += share.selfMs;
    if (share.originatingError) {
      originatingErrors += 1;
      const code =
        share.span.attributes['http.response.status_code'] ??
        share.span.attributes['http.status_code'];
      errorMessages.push(
        `${share.span.statusMessage ?? ''} ${code ?? ''} ${
          share.span.attributes['error.type'] ?? ''
        }`,
      );
    }
    if (share.passedOnError) passedOnErrors += 1;
  }
  return {
    requests: perRequest.size,
    ownMs: [...perRequest.values()].sort((a, b) => a - b),
    waitMs,
    originatingErrors,
    passedOnErrors,
    errorMessages,
  };
}

/** Robust z of the incident buckets' mean against the baseline buckets (median, MAD). */
function robustScore(before: number[], after: number[], floor: number): number {
  if (!before.length || !after.length) return 0;
  const mean = after.reduce((s, v) => s + v, 0) / after.length;
  return Math.max(
    0,
    robustZ(before, mean, () => floor),
  );
}

export function suspectOf(
  node: string,
  hop: number,
  allShares: SpanShare[],
  input: LocalizationInput,
  inWindow: (ms: number, w: { fromMs: number; toMs: number } | null) => boolean,
  measurement: {
    /** Callers whose client spans alone measure the node (it has no spans of its own). */
    measuredBy: string[];
    starved: (service: string) => boolean;
  },
): ServiceSuspect {
  // A node measured only by its callers' client spans (an external API, a database): the
  // spans of callers starved of CPU measure their own stalls, not the node; only the other
  // callers' spans count, and with none left its time is no evidence of its own change.
  const starvedCaller = (caller: string) =>
    measurement.measuredBy.includes(caller) && measurement.starved(caller);
  const measuredByStarved =
    measurement.measuredBy.length > 0 &&
    measurement.measuredBy.every(measurement.starved);
  const own = allShares.filter(
    s =>
      s.node === node &&
      (measuredByStarved || !starvedCaller(s.span.serviceName)),
  );
  const now = figuresOf(
    own.filter(s => inWindow(s.span.startTimeMs, input.incident)),
  );
  const beforeShares = own.filter(s =>
    inWindow(s.span.startTimeMs, input.baseline),
  );
  const before = figuresOf(beforeShares);

  // Bucket series of own time per request and originating error rate.
  const bucketsOf = (window: { fromMs: number; toMs: number } | null) => {
    if (!window) return { ownMs: [] as number[], errorRate: [] as number[] };
    const count = Math.max(
      1,
      Math.ceil((window.toMs - window.fromMs) / input.bucketMs),
    );
    const ownMs: number[] = [];
    const errorRate: number[] = [];
    for (let i = 0; i < count; i++) {
      const from = window.fromMs + i * input.bucketMs;
      const figures = figuresOf(
        own.filter(
          s =>
            s.span.startTimeMs >= from &&
            s.span.startTimeMs < from + input.bucketMs,
        ),
      );
      if (!figures.requests) continue;
      ownMs.push(figures.ownMs.reduce((s, v) => s + v, 0) / figures.requests);
      errorRate.push(figures.originatingErrors / figures.requests);
    }
    return { ownMs, errorRate };
  };
  const baseBuckets = bucketsOf(input.baseline);
  const nowBuckets = bucketsOf(input.incident);
  const baselineKnown =
    longEnough(input.baseline) &&
    baseBuckets.ownMs.length >= MIN_BASELINE_BUCKETS &&
    before.requests >= MIN_BASELINE_REQUESTS;
  const healthyOwn = median(baseBuckets.ownMs);
  const timeScore = robustScore(
    baseBuckets.ownMs,
    nowBuckets.ownMs,
    Math.max(OWN_TIME_FLOOR_MS, OWN_TIME_FLOOR_SHARE * healthyOwn),
  );
  const errorScore = robustScore(
    baseBuckets.errorRate,
    nowBuckets.errorRate,
    ERROR_RATE_FLOOR,
  );
  const nowP95 = now.ownMs.length ? percentile(now.ownMs, 0.95) : null;
  const beforeP95 = before.ownMs.length ? percentile(before.ownMs, 0.95) : null;
  const timeChanged =
    baselineKnown &&
    !measuredByStarved &&
    timeScore >= MIN_ANOMALY_SCORE &&
    nowP95 !== null &&
    beforeP95 !== null &&
    nowP95 >= beforeP95 * OWN_TIME_GROWTH &&
    nowP95 - beforeP95 >= OWN_TIME_MIN_GROWTH_MS;
  const rate = (f: Figures) =>
    f.requests ? f.originatingErrors / f.requests : 0;
  const errorsChanged =
    baselineKnown &&
    errorScore >= MIN_ANOMALY_SCORE &&
    errorsUnlikely(
      now.originatingErrors,
      now.requests,
      before.originatingErrors,
      before.requests,
    ) &&
    rate(now) - rate(before) >= ERROR_RATE_GROWTH;
  const evidence = input.evidence?.get(node);
  const waitGrew =
    now.requests > 0 &&
    before.requests > 0 &&
    now.waitMs / now.requests - before.waitMs / before.requests >=
      OWN_TIME_MIN_GROWTH_MS;
  const changed = timeChanged || errorsChanged;
  return {
    service: node,
    entityRef: input.entityRefs?.get(node) ?? null,
    hops: hop,
    anomalyScore: round(Math.max(timeScore, errorScore), 2),
    selfTimeP95Ms: nowP95 === null ? null : round(nowP95),
    baselineSelfTimeP95Ms: beforeP95 === null ? null : round(beforeP95),
    originatingErrors: now.originatingErrors,
    passedOnErrors: now.passedOnErrors,
    kind: changed
      ? kindOf({
          timeChanged,
          errorsChanged,
          errorShare: now.requests
            ? now.originatingErrors / now.requests
            : undefined,
          waitGrew,
          errorMessages: now.errorMessages,
          evidence,
        })
      : null,
    changed,
    baselineKnown,
    evidenceIds: [...new Set(evidence?.evidenceIds ?? [])].sort(compareText),
  };
}
