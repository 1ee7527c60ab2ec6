import {
  Localization,
  ServiceEdge,
  ServiceSuspect,
} from '@ai-triage/plugin-ai-triage-common';
import { attributeSpans, SpanShare } from './serviceGraph';
import {
  EDGE_ERROR_RATE_GROWTH,
  LocalizationInput,
  MIN_ERRORS,
  edgeFigures,
  emptyEdge,
  longEnough,
  suspectOf,
} from './localizeFigures';
import { compareText } from './stats';

export type { NodeEvidence } from './faultKind';
export { errorsUnlikely } from './localizeFigures';

export const DEFAULT_MAX_DEPTH = 4;
/** Suspects and edges kept in the document; a shop's walk rarely touches more. */
const MAX_SUSPECTS = 12;
const MAX_EDGES = 30;
/**
 * The origin must carry a material share of the anomaly: a changed suspect whose robust z is
 * below a quarter of the strongest changed suspect's is a knock-on, not the fault. A robust z
 * is a shift in noise units, so the ratio compares like with like: what a fault pushes onto its
 * neighbours (retries, a host slowed by the faulty process, longer queues upstream) moves them
 * by a fraction of the origin's own shift; a quarter still keeps a second fault of the same
 * order (within a factor of 4) as a candidate, where depth decides.
 */
const MIN_SCORE_SHARE = 0.25;

/**
 * Localizes a fault across services (see docs/reasoning.md, "Localization"): builds the
 * service graph of the spans (see attributeSpans), compares every node's own behaviour (own
 * time per request, originating errors) and every edge against the baseline, walks from the
 * alerted service along edges that changed, at most `maxDepth` hops, and names as origin the
 * deepest visited node whose own behaviour changed (ties: the higher robust anomaly score, a
 * median/MAD z as in BARO).
 */
export function localize(input: LocalizationInput): {
  localization: Localization;
  /** Own figures per node and operation, for the operations of visited services. */
  shares: SpanShare[];
  visited: string[];
} {
  const { shares, calls, services } = attributeSpans(input.spans);
  const inWindow = (ms: number, w: { fromMs: number; toMs: number } | null) =>
    w !== null && ms >= w.fromMs && ms < w.toMs;

  const nodes = new Set<string>([input.alertedService, ...services]);
  for (const call of calls) nodes.add(call.to);
  const edges = edgeFigures(calls, input, inWindow);
  for (const edge of input.catalogEdges ?? []) {
    const existing = edges.find(e => e.from === edge.from && e.to === edge.to);
    if (existing) existing.source = 'both';
    else {
      edges.push(emptyEdge(edge.from, edge.to));
      nodes.add(edge.to);
    }
  }

  // Walk downstream along changed edges. Without a baseline nothing can have changed: the walk
  // then follows edges that fail now, to find where errors originate (a suspect only: its
  // baseline is unknown, so it is never evidence of change and its hypothesis stays low).
  const noBaseline = !longEnough(input.baseline);
  const failingNow = (edge: ServiceEdge) =>
    edge.errorRate >= EDGE_ERROR_RATE_GROWTH &&
    Math.round(edge.errorRate * edge.callCount) >= MIN_ERRORS;
  const walkable = (edge: ServiceEdge) =>
    edge.changed.length > 0 || (noBaseline && failingNow(edge));
  const hops = new Map<string, number>([[input.alertedService, 0]]);
  const parent = new Map<string, string>();
  const queue = [input.alertedService];
  while (queue.length) {
    const node = queue.shift()!;
    const depth = hops.get(node)!;
    if (depth >= input.maxDepth) continue;
    for (const edge of edges.filter(e => e.from === node)) {
      if (!walkable(edge) || hops.has(edge.to)) continue;
      hops.set(edge.to, depth + 1);
      parent.set(edge.to, node);
      queue.push(edge.to);
    }
  }
  // Direct neighbours are suspects even when their edge did not change (to be ruled out).
  for (const edge of edges) {
    if (edge.from === input.alertedService && !hops.has(edge.to)) {
      hops.set(edge.to, 1);
    }
  }

  // While a process is starved of CPU, the time its client spans measure includes the time it
  // could not run the callback: no evidence against the callee.
  const starved = (service: string) =>
    input.evidence?.get(service)?.cpuStarved === true;
  const suspects = [...hops].map(([node, hop]) =>
    suspectOf(node, hop, shares, input, inWindow, {
      measuredBy: services.has(node)
        ? []
        : [...new Set(calls.filter(c => c.to === node).map(c => c.from))],
      starved,
    }),
  );
  const walked = suspects.filter(
    s => s.service === input.alertedService || parent.has(s.service),
  );
  const deepestFirst = (a: ServiceSuspect, b: ServiceSuspect) =>
    b.hops - a.hops ||
    b.anomalyScore - a.anomalyScore ||
    compareText(a.service, b.service);
  // A service deployed at the onset whose own behaviour or calls changed is the origin, even
  // when what it calls changed deeper down: a new version changes how it calls its
  // dependencies (a slower query, more calls), and the dependency only shows it.
  const deployed = walked
    .filter(
      s =>
        input.evidence?.get(s.service)?.changed &&
        (s.changed ||
          edges.some(e => e.from === s.service && e.changed.length > 0)),
    )
    .sort(deepestFirst)[0];
  const changedWalked = walked.filter(s => s.changed);
  const strongest = Math.max(0, ...changedWalked.map(s => s.anomalyScore));
  let origin =
    deployed ??
    changedWalked
      .filter(s => s.anomalyScore >= MIN_SCORE_SHARE * strongest)
      .sort(deepestFirst)[0] ??
    (noBaseline
      ? walked
          .filter(s => s.originatingErrors >= MIN_ERRORS)
          .sort(deepestFirst)[0]
      : undefined) ??
    // Nothing walked changed: a direct neighbour whose own behaviour changed against a known
    // baseline, though the calls to it stayed within their noise (the caller's client spans also
    // hold its own stalls, so on a busy host they are the noisier measure of the callee).
    suspects
      .filter(
        s =>
          s.hops === 1 &&
          s.changed &&
          s.baselineKnown &&
          services.has(s.service) &&
          !starved(input.alertedService),
      )
      .sort(deepestFirst)[0] ??
    null;
  if (origin && !walked.includes(origin)) {
    parent.set(origin.service, input.alertedService);
  }
  if (deployed) deployed.kind = 'deploy';
  // A wait for a pool in front of a callee that got slower itself is the callee's fault: by
  // Little's law the connections in use are the request rate times the time each is held, so
  // a slower database fills the pool of every caller (a leak or a too small pool leaves the
  // calls themselves fast). The wait's errors make the caller look more anomalous than the
  // callee, which only got slower. A callee without spans of its own (a database, an external
  // API) is measured by the calls alone: their latency is its own behaviour, though its time
  // per request of the caller may not have grown (requests that never got a connection made
  // no query). Not from a waiter starved of CPU: its client spans measure its own stalls (see
  // `starved`), a slower callee among them.
  const seen = new Set<string>();
  while (
    origin?.kind === 'resource-wait' &&
    !seen.has(origin.service) &&
    !starved(origin.service)
  ) {
    const from = origin.service;
    seen.add(from);
    const holder = walked
      .filter(
        s =>
          parent.get(s.service) === from &&
          (s.changed || !services.has(s.service)) &&
          edges.some(
            e =>
              e.from === from &&
              e.to === s.service &&
              e.changed.includes('latency'),
          ),
      )
      .sort(deepestFirst)[0];
    if (!holder) break;
    if (!holder.changed) {
      holder.changed = true;
      holder.kind = 'latency';
    }
    // The wait measured is the holder's time (Little's law): its anomaly is the holder's too.
    holder.anomalyScore = Math.max(holder.anomalyScore, origin.anomalyScore);
    origin = holder;
  }
  const path: string[] = [];
  for (
    let node: string | undefined = origin?.service;
    node;
    node = parent.get(node)
  ) {
    path.unshift(node);
  }
  suspects.sort(
    (a, b) =>
      Number(b.service === origin?.service) -
        Number(a.service === origin?.service) ||
      Number(b.changed) - Number(a.changed) ||
      b.anomalyScore - a.anomalyScore ||
      a.hops - b.hops ||
      compareText(a.service, b.service),
  );
  const keptEdges = edges
    .filter(e => e.from === input.alertedService || hops.has(e.from))
    .sort(
      (a, b) =>
        b.changed.length - a.changed.length ||
        b.callCount - a.callCount ||
        compareText(`${a.from}>${a.to}`, `${b.from}>${b.to}`),
    )
    .slice(0, MAX_EDGES);
  return {
    localization: {
      origin: origin?.service ?? null,
      path,
      suspects: suspects.slice(0, MAX_SUSPECTS),
      edges: keptEdges,
      maxDepth: input.maxDepth,
      method: 'baro-mad+self-time',
    },
    shares,
    visited: [...hops.keys()].filter(
      n => n === input.alertedService || parent.has(n),
    ),
  };
}
