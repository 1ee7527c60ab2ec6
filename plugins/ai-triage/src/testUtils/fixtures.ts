import { Entity } from '@backstage/catalog-model';
import {
  ContextDocument,
  FaultGroup,
  Hypothesis,
  Incident,
  IncidentDetailResponse,
  IncidentListResponse,
  Localization,
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

// A localized incident: checkout alerted, the fault began two hops down in carrier-api, which
// rate-limits shipping; storefront's and shipping's incidents are in the same fault group.

const at = (time: string) => `2026-01-10T${time}:00.000Z`;

export const localizedIncident: Incident = {
  ...incident,
  id: 'inc-7',
  correlationKey: 'alertmanager:checkout:HighErrorRate',
  title: 'HighErrorRate on checkout',
  firstSeenAt: at('14:04'),
  lastSeenAt: at('14:15'),
  faultGroupId: 'fg-1',
  probableOrigin: 'carrier-api',
  faultGroupLead: false,
};

export const relatedIncidents: Incident[] = [
  {
    ...incident,
    id: 'inc-8',
    correlationKey: 'alertmanager:shipping:HighErrorRate',
    title: 'HighErrorRate on shipping',
    entityRef: 'component:default/shipping',
    serviceName: 'shipping',
    firstSeenAt: at('14:03'),
    lastSeenAt: at('14:15'),
    faultGroupId: 'fg-1',
    probableOrigin: 'carrier-api',
    faultGroupLead: true,
  },
  {
    ...incident,
    id: 'inc-9',
    correlationKey: 'alertmanager:storefront:SlowRequests',
    title: 'SlowRequests on storefront',
    entityRef: 'component:default/storefront',
    serviceName: 'storefront',
    severity: 'warning',
    firstSeenAt: at('14:06'),
    lastSeenAt: at('14:15'),
    faultGroupId: 'fg-1',
    probableOrigin: 'carrier-api',
    faultGroupLead: false,
  },
];

const localizedAlert: StoredAlert = {
  ...alert,
  id: 'alert-7',
  startsAt: at('14:04'),
  endsAt: at('14:12'),
  status: 'resolved',
};

const suspect = (
  service: string,
  hops: number,
  overrides: Partial<Localization['suspects'][number]> = {},
): Localization['suspects'][number] => ({
  service,
  entityRef: `component:default/${service}`,
  hops,
  anomalyScore: 1,
  selfTimeP95Ms: 40,
  baselineSelfTimeP95Ms: 38,
  originatingErrors: 0,
  passedOnErrors: 0,
  kind: null,
  changed: false,
  baselineKnown: true,
  evidenceIds: [],
  ...overrides,
});

export const localizedContext: ContextDocument = {
  ...context,
  incidentId: 'inc-7',
  window: { from: at('13:47'), to: at('14:17') },
  baselineWindow: { from: at('13:17'), to: at('13:47') },
  alerts: [{ ...context.alerts[0], startsAt: at('14:04') }],
  operations: [
    {
      ...context.operations[0],
      id: 'op:shipping:POST /quote',
      operation: 'POST /quote',
      service: 'shipping',
      sampleError: 'carrier-api answered 429 Too Many Requests',
    },
  ],
  dependencies: [
    {
      id: 'dep:shipping',
      dependency: 'shipping',
      callCount: 900,
      errorCount: 120,
      errorRate: 0.133,
      p95Ms: 1900,
      latencyShare: 0.7,
      baselineCallCount: 880,
      baselineErrorCount: 2,
      baselineP95Ms: 210,
    },
  ],
  logTemplates: [
    {
      id: 'log:carrier-api:1',
      template: `rate limit exceeded for key <*>: ${'quota '.repeat(60)}`,
      level: 'warn',
      count: 412,
      firstSeen: at('14:02'),
      lastSeen: at('14:16'),
      sample: 'rate limit exceeded for key k_1',
      baselineCount: 0,
      service: 'carrier-api',
    },
  ],
  metricDeltas: [
    {
      id: 'metric:carrier-api:http_429',
      metric: 'http_server_responses_429',
      attributes: { route: '/v2/rates' },
      baseline: 0.1,
      current: 14,
      changeRatio: 139,
      service: 'carrier-api',
    },
    {
      id: 'metric:checkout:error_ratio',
      metric: 'http_server_error_ratio',
      attributes: {},
      baseline: 0.004,
      current: 0.12,
      changeRatio: 29,
    },
  ],
  missing: [],
  onset: {
    at: at('14:02'),
    method: 'change-point',
    series: 'errors',
    baselineWindow: { from: at('13:32'), to: at('14:02') },
    baselineMinutes: 30,
    incidentMinutes: 15,
    baselineSufficient: true,
    baselineSource: 'pre-onset',
  },
  localization: {
    origin: 'carrier-api',
    path: ['checkout', 'shipping', 'carrier-api'],
    suspects: [
      suspect('carrier-api', 2, {
        anomalyScore: 9.4,
        originatingErrors: 412,
        kind: 'rate-limit',
        changed: true,
        evidenceIds: ['log:carrier-api:1', 'metric:carrier-api:http_429'],
      }),
      suspect('shipping', 1, {
        anomalyScore: 4.1,
        passedOnErrors: 120,
        changed: false,
      }),
      suspect('checkout', 0, { anomalyScore: 3.2, passedOnErrors: 144 }),
      suspect('payments', 1, { anomalyScore: 0.2 }),
    ],
    edges: [
      {
        from: 'storefront',
        to: 'checkout',
        source: 'traces',
        callCount: 2000,
        errorRate: 0.07,
        baselineErrorRate: 0.001,
        p95Ms: 2100,
        baselineP95Ms: 260,
        changed: ['latency', 'errors'],
      },
      {
        from: 'checkout',
        to: 'shipping',
        source: 'both',
        callCount: 900,
        errorRate: 0.133,
        baselineErrorRate: 0.002,
        p95Ms: 1900,
        baselineP95Ms: 210,
        changed: ['latency', 'errors'],
      },
      {
        from: 'shipping',
        to: 'carrier-api',
        source: 'traces',
        callCount: 880,
        errorRate: 0.47,
        baselineErrorRate: 0.001,
        p95Ms: 95,
        baselineP95Ms: 90,
        changed: ['errors'],
      },
      {
        from: 'checkout',
        to: 'payments',
        source: 'traces',
        callCount: 950,
        errorRate: 0,
        baselineErrorRate: 0,
        p95Ms: 80,
        baselineP95Ms: 82,
        changed: [],
      },
    ],
    maxDepth: 4,
    method: 'baro-mad+self-time',
  },
  changes: [
    {
      id: 'change:shipping:1',
      service: 'shipping',
      kind: 'deploy',
      at: at('13:52'),
      from: '1.8.0',
      to: '1.8.1',
      summary: 'shipping 1.8.0 → 1.8.1',
    },
  ],
};

export const localizedHypotheses: Hypothesis[] = [
  {
    ...hypothesis,
    id: 'hyp-7',
    rootCause:
      'carrier-api rate-limits shipping: quota exhausted, 47% of calls answered 429',
    affectedComponents: ['carrier-api', 'shipping', 'checkout'],
    confidence: 'high',
    probability: 0.82,
    kind: 'rate-limit',
    origin: 'carrier-api',
    reasoning: 'carrier-api answers 429 to shipping since 14:02.',
    evidenceIds: [
      'log:carrier-api:1',
      'metric:carrier-api:http_429',
      'dep:shipping',
    ],
  },
  {
    ...hypothesis,
    id: 'hyp-8',
    rank: 2,
    rootCause: 'The shipping deploy 1.8.1 broke quoting',
    affectedComponents: ['shipping', 'checkout'],
    confidence: 'low',
    probability: 0.12,
    kind: 'deploy',
    origin: 'shipping',
    reasoning: 'A deploy of shipping ten minutes before the onset.',
    evidenceIds: ['change:shipping:1'],
  },
];

export const faultGroup: FaultGroup = {
  id: 'fg-1',
  origin: 'carrier-api',
  originEntityRef: 'component:default/carrier-api',
  leadIncidentId: 'inc-8',
  memberIncidentIds: ['inc-8', 'inc-7', 'inc-9'],
  firstSeenAt: at('14:03'),
  lastSeenAt: at('14:15'),
};

/** The detail answer for the localized checkout incident. */
export function localizedDetailResponse(
  overrides: Partial<IncidentDetailResponse> = {},
): IncidentDetailResponse {
  return {
    incident: localizedIncident,
    alerts: [localizedAlert],
    context: localizedContext,
    hypotheses: localizedHypotheses,
    insufficientEvidence: false,
    faultGroup,
    relatedIncidents,
    ...overrides,
  };
}
