import {
  Incident,
  IncidentDetailResponse,
  ServiceEdge,
} from '@ai-triage/plugin-ai-triage-common';

/** Why a service is on the map. */
export type ServiceRole = 'origin' | 'path' | 'alerted' | 'related';

/** One service on the incident's map. */
export type ServiceMapNode = {
  id: string;
  service: string;
  /** Its catalog entity, for the link; null when the catalog does not know it. */
  entityRef: string | null;
  /** Every role it has: the alerted service can also be the origin. */
  roles: ServiceRole[];
  isOrigin: boolean;
  /** Hops from the alerted service, when localization walked there. */
  hops: number | null;
  /** The fault group's incident of this service, when it has one. */
  incident: Incident | null;
};

/** One call edge on the map: caller to callee, with what changed against the baseline. */
export type ServiceMapEdge = {
  from: string;
  to: string;
  changed: Array<'latency' | 'errors'>;
  /** On the path from the alerted service to the origin. */
  onPath: boolean;
  /** Short text of the change ("errors 0.2% → 13%, p95 210 ms → 1.9 s"), empty when none. */
  label: string;
  /** Whether a baseline existed to compare against (false: "changed" cannot be said). */
  baselineKnown: boolean;
};

/** @internal */
export type ServiceMap = {
  nodes: ServiceMapNode[];
  edges: ServiceMapEdge[];
  origin: string | null;
  /** Where the edges came from: localization's graph, or the alerted service's dependencies. */
  source: 'localization' | 'dependencies';
};

function percent(ratio: number): string {
  const value = ratio * 100;
  return `${value < 1 && value > 0 ? value.toFixed(1) : Math.round(value)}%`;
}

function ms(value: number): string {
  return value >= 1000
    ? `${(value / 1000).toFixed(1)} s`
    : `${Math.round(value)} ms`;
}

/** The words on an edge: what changed, from the baseline to now. */
function edgeLabel(edge: {
  changed: Array<'latency' | 'errors'>;
  errorRate: number;
  baselineErrorRate: number | null;
  p95Ms: number | null;
  baselineP95Ms: number | null;
}): string {
  const parts: string[] = [];
  if (edge.changed.includes('errors')) {
    parts.push(
      edge.baselineErrorRate === null
        ? `errors ${percent(edge.errorRate)}`
        : `errors ${percent(edge.baselineErrorRate)} → ${percent(
            edge.errorRate,
          )}`,
    );
  }
  if (edge.changed.includes('latency') && edge.p95Ms !== null) {
    parts.push(
      edge.baselineP95Ms === null
        ? `p95 ${ms(edge.p95Ms)}`
        : `p95 ${ms(edge.baselineP95Ms)} → ${ms(edge.p95Ms)}`,
    );
  }
  return parts.join(', ');
}

/** Relative growth that counts as a change when only the dependency summaries are known. */
const DEPENDENCY_GROWTH = 1.5;

/**
 * Edges from the alerted service to its dependencies, for contexts made before localization:
 * changed where the baseline had calls and the error rate or p95 grew by half or more.
 */
function dependencyEdges(detail: IncidentDetailResponse): ServiceEdge[] {
  const context = detail.context;
  if (!context) {
    return [];
  }
  return context.dependencies.map(dep => {
    const baselineCalls = dep.baselineCallCount ?? 0;
    const baselineErrorRate =
      baselineCalls > 0 ? (dep.baselineErrorCount ?? 0) / baselineCalls : null;
    const baselineP95Ms = dep.baselineP95Ms ?? null;
    const changed: ServiceEdge['changed'] = [];
    if (
      baselineErrorRate !== null &&
      dep.errorRate > 0.01 &&
      dep.errorRate > baselineErrorRate * DEPENDENCY_GROWTH
    ) {
      changed.push('errors');
    }
    if (
      baselineP95Ms !== null &&
      dep.p95Ms > baselineP95Ms * DEPENDENCY_GROWTH
    ) {
      changed.push('latency');
    }
    return {
      from: context.serviceName,
      to: dep.dependency,
      source: 'traces',
      callCount: dep.callCount,
      errorRate: dep.errorRate,
      baselineErrorRate,
      p95Ms: dep.p95Ms,
      baselineP95Ms,
      changed,
    };
  });
}

/**
 * The services of the incident's window and the calls between them: the alerted service, the
 * path to the probable origin, and the services of the fault group's other incidents. Without a
 * localization (contexts made before it), the alerted service and its dependencies.
 *
 * @internal
 */
export function serviceMapOf(detail: IncidentDetailResponse): ServiceMap {
  const { incident, context } = detail;
  const localization = context?.localization;
  const alerted = context?.serviceName ?? incident.serviceName;
  const origin =
    localization?.origin ??
    incident.probableOrigin ??
    detail.faultGroup?.origin ??
    detail.hypotheses.find(h => h.rank === 1)?.origin ??
    null;
  const related = detail.relatedIncidents ?? [];

  const nodes = new Map<string, ServiceMapNode>();
  const add = (service: string, role: ServiceRole) => {
    const node = nodes.get(service) ?? {
      id: service,
      service,
      entityRef: null,
      roles: [],
      isOrigin: false,
      hops: null,
      incident: null,
    };
    if (!node.roles.includes(role)) node.roles.push(role);
    nodes.set(service, node);
    return node;
  };

  // The incident's own service alerted; a group member shows its lead's triage, whose context
  // is about the lead's service, which then is on the way to the origin.
  add(incident.serviceName, 'alerted').entityRef = incident.entityRef;
  if (alerted !== incident.serviceName) add(alerted, 'path');
  const path = localization?.path ?? [];
  for (const service of path) add(service, 'path');
  for (const other of related) {
    const node = add(other.serviceName, 'related');
    node.incident = other;
    node.entityRef = node.entityRef ?? other.entityRef;
  }
  if (origin) add(origin, 'origin').isOrigin = true;

  let source: ServiceMap['source'] = 'localization';
  let edges = localization?.edges ?? [];
  // A call that changed against the baseline is part of the picture wherever it leads.
  for (const edge of edges) {
    if (
      edge.changed.length > 0 &&
      (nodes.has(edge.from) || nodes.has(edge.to))
    ) {
      if (!nodes.has(edge.from)) add(edge.from, 'path');
      if (!nodes.has(edge.to)) add(edge.to, 'path');
    }
  }
  if (!localization) {
    source = 'dependencies';
    edges = dependencyEdges(detail);
    for (const edge of edges) add(edge.to, 'path');
  }

  for (const suspect of localization?.suspects ?? []) {
    const node = nodes.get(suspect.service);
    if (node) {
      node.hops = suspect.hops;
      node.entityRef = node.entityRef ?? suspect.entityRef;
    }
  }
  if (detail.faultGroup && origin === detail.faultGroup.origin) {
    const node = nodes.get(origin);
    if (node)
      node.entityRef = node.entityRef ?? detail.faultGroup.originEntityRef;
  }

  const pathPairs = new Set(
    path.slice(1).map((service, i) => `${path[i]}→${service}`),
  );
  const mapEdges: ServiceMapEdge[] = edges
    .filter(edge => nodes.has(edge.from) && nodes.has(edge.to))
    .filter(edge => edge.from !== edge.to)
    .map(edge => ({
      from: edge.from,
      to: edge.to,
      changed: edge.changed,
      onPath: pathPairs.has(`${edge.from}→${edge.to}`),
      label: edgeLabel(edge),
      baselineKnown:
        edge.baselineErrorRate !== null || edge.baselineP95Ms !== null,
    }));
  // The path is drawn even where the edge list lacks a hop (e.g. known only from the catalog).
  for (const pair of pathPairs) {
    const [from, to] = pair.split('→');
    if (!mapEdges.some(edge => edge.from === from && edge.to === to)) {
      mapEdges.push({
        from,
        to,
        changed: [],
        onPath: true,
        label: '',
        baselineKnown: false,
      });
    }
  }
  return { nodes: [...nodes.values()], edges: mapEdges, origin, source };
}
