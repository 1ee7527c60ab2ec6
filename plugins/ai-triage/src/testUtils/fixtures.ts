import { Entity } from '@backstage/catalog-model';
import {
  ContextDocument,
  Hypothesis,
  Incident,
  IncidentDetailResponse,
  IncidentListResponse,
  StoredAlert,
} from '@ai-triage/plugin-ai-triage-common';

// An incident of the checkout service as the backend returns it, for tests.

/** Where the tests' msw handlers serve the plugin's API (the test app's discovery answer). */
export const API = 'http://localhost:7007/api/ai-triage';

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'checkout',
    namespace: 'default',
    annotations: { 'opentelemetry.io/service-name': 'checkout' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
};

export const incident: Incident = {
  id: 'inc-1',
  correlationKey: 'alertmanager:checkout:HighErrorRate',
  title: 'HighErrorRate on checkout',
  entityRef: 'component:default/checkout',
  serviceName: 'checkout',
  namespace: 'shop',
  cluster: 'prod-eu',
  severity: 'critical',
  status: 'open',
  triageState: 'triaged',
  firstSeenAt: '2026-01-10T10:00:00.000Z',
  lastSeenAt: '2026-01-10T10:05:00.000Z',
  alertCount: 2,
};

export const alert: StoredAlert = {
  id: 'alert-1',
  receivedAt: '2026-01-10T10:00:01.000Z',
  source: 'alertmanager',
  fingerprint: 'abc123',
  name: 'HighErrorRate',
  status: 'firing',
  severity: 'critical',
  startsAt: '2026-01-10T10:00:00.000Z',
  endsAt: null,
  labels: { alertname: 'HighErrorRate', service_name: 'checkout' },
  annotations: {
    summary: 'Checkout error rate above 5%',
    description: 'POST /pay fails for 12% of requests',
  },
  generatorURL: 'http://prometheus.example/graph?g0.expr=errors',
  resource: { 'service.name': 'checkout' },
};

export const context: ContextDocument = {
  version: 1,
  incidentId: 'inc-1',
  serviceName: 'checkout',
  window: { from: '2026-01-10T09:45:00.000Z', to: '2026-01-10T10:05:00.000Z' },
  baselineWindow: {
    from: '2026-01-10T09:00:00.000Z',
    to: '2026-01-10T09:45:00.000Z',
  },
  alerts: [
    {
      id: 'alert:HighErrorRate',
      name: 'HighErrorRate',
      status: 'firing',
      severity: 'critical',
      summary: 'Checkout error rate above 5%',
      startsAt: '2026-01-10T10:00:00.000Z',
    },
  ],
  operations: [
    {
      id: 'op:POST /pay',
      operation: 'POST /pay',
      spanCount: 1200,
      errorCount: 144,
      errorRate: 0.12,
      p50Ms: 80,
      p95Ms: 2300,
      maxMs: 5000,
      sampleError: 'connection pool exhausted',
    },
  ],
  dependencies: [
    {
      id: 'dep:payments-db',
      dependency: 'payments-db',
      callCount: 1100,
      errorCount: 130,
      errorRate: 0.118,
      p95Ms: 2100,
      latencyShare: 0.82,
    },
  ],
  logTemplates: [
    {
      id: 'log:1',
      template: 'timeout acquiring connection after <*> ms',
      level: 'error',
      count: 131,
      firstSeen: '2026-01-10T09:58:00.000Z',
      lastSeen: '2026-01-10T10:04:00.000Z',
      sample: 'timeout acquiring connection after 2000 ms',
    },
  ],
  metricDeltas: [
    {
      id: 'metric:db_pool_in_use',
      metric: 'db_pool_in_use',
      attributes: { pool: 'payments' },
      baseline: 12,
      current: 50,
      changeRatio: 3.17,
    },
  ],
  missing: ['traces from payments-db'],
  truncated: [],
  redactions: 3,
};

export const hypothesis: Hypothesis = {
  id: 'hyp-1',
  rank: 1,
  rootCause: 'The payments-db connection pool is exhausted',
  affectedComponents: ['checkout', 'payments-db'],
  confidence: 'high',
  reasoning: 'Most of the latency is spent waiting on payments-db.',
  diagnosticSteps: ['Check the pool size of payments-db'],
  evidenceIds: ['dep:payments-db', 'log:1'],
  reasoner: 'heuristic',
  createdAt: '2026-01-10T10:06:00.000Z',
  review: null,
};

/** The list answer for one page holding `items`. */
export function listResponse(
  items: Incident[],
  page: { totalCount?: number; offset?: number; limit?: number } = {},
): IncidentListResponse {
  return {
    items,
    totalCount: page.totalCount ?? items.length,
    offset: page.offset ?? 0,
    limit: page.limit ?? 20,
  };
}

/** `count` incidents of the checkout service, newest first. */
export function manyIncidents(count: number, offset = 0): Incident[] {
  return Array.from({ length: count }, (_, i) => ({
    ...incident,
    id: `inc-${offset + i + 1}`,
    title: `Incident ${offset + i + 1}`,
  }));
}

/** The detail answer for `incident`: one alert, the context and one unreviewed hypothesis. */
export function detailResponse(
  overrides: Partial<IncidentDetailResponse> = {},
): IncidentDetailResponse {
  return {
    incident,
    alerts: [alert],
    context,
    hypotheses: [hypothesis],
    insufficientEvidence: false,
    ...overrides,
  };
}
