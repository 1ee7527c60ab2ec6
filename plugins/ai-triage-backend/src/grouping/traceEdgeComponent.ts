import { CallEdge } from '../database/FaultGroupStore';

/** Incidents' services connected by calls, with the service the calls lead down to. */
type TraceEdgeComponent = {
  /** Every service connected to the start through calls, in name order. */
  services: string[];
  /** The sink most services call into, directly or not: the probable origin. */
  origin: string;
  /** The shortest call chain from the start down to the origin (just the start if it is). */
  path: string[];
};

/**
 * The fallback localization of grouping, used while a context carries no `localization`: the
 * services connected to `start` by calls between alerted services (either direction), and the
 * origin among them: a sink (calls no other service of the set) reached from the most services.
 * Returns undefined when no other alerted service is connected.
 *
 * It sees only which alerted services call which, not whose own behaviour changed, so a fault in
 * a service that raised no alert is placed at the deepest alerted service above it; the
 * localization of the lead's enrichment replaces it.
 */
export function traceEdgeComponent(
  start: string,
  edges: CallEdge[],
): TraceEdgeComponent | undefined {
  const down = new Map<string, Set<string>>();
  const up = new Map<string, Set<string>>();
  const link = (map: Map<string, Set<string>>, from: string, to: string) => {
    const set = map.get(from) ?? new Set<string>();
    set.add(to);
    map.set(from, set);
  };
  for (const { from, to } of edges) {
    link(down, from, to);
    link(up, to, from);
  }
  const component = reach(start, s => [
    ...(down.get(s) ?? []),
    ...(up.get(s) ?? []),
  ]);
  if (component.size < 2) {
    return undefined;
  }
  const services = [...component].sort();
  const sinks = services.filter(
    s => ![...(down.get(s) ?? [])].some(to => component.has(to)),
  );
  // A cycle with no exit has no sink: every service of it is a candidate then.
  const candidates = sinks.length > 0 ? sinks : services;
  const callers = (s: string) => reach(s, t => [...(up.get(t) ?? [])]).size;
  const origin = candidates.reduce((best, s) =>
    callers(s) > callers(best) ? s : best,
  );
  return { services, origin, path: shortestPath(start, origin, down) };
}

/** The services that call `origin` along `edges`, directly or not (not the origin itself). */
export function callersOf(origin: string, edges: CallEdge[]): Set<string> {
  const callers = reach(origin, callee =>
    edges.filter(e => e.to === callee).map(e => e.from),
  );
  callers.delete(origin);
  return callers;
}

function reach(start: string, next: (s: string) => string[]): Set<string> {
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const n of next(queue.shift()!)) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}

/** Breadth-first along calls; [start, origin] when the origin is not downstream of the start. */
function shortestPath(
  start: string,
  origin: string,
  down: Map<string, Set<string>>,
): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (current === origin) {
      const path = [origin];
      while (path[0] !== start) path.unshift(previous.get(path[0])!);
      return path;
    }
    for (const next of [...(down.get(current) ?? [])].sort()) {
      if (!seen.has(next)) {
        seen.add(next);
        previous.set(next, current);
        queue.push(next);
      }
    }
  }
  return [start, origin];
}
