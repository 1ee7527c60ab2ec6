import {
  ContextDocument,
  HypothesisSet,
  MISSING_BASELINE_PROBABILITY_CAP,
  confidenceOf,
  evidenceIdsOf,
  hypothesisSetSchema,
} from '@ai-triage/plugin-ai-triage-common';
import {
  testContext,
  testDependency,
  testFiringAlert,
  testOnset,
  testOperation,
  testSuspect,
  testTemplate,
} from '../../__testUtils__/contexts';
import { HeuristicReasoner } from './HeuristicReasoner';

const reasoner = new HeuristicReasoner();

/** Reasons and checks what every answer must satisfy, probabilities included. */
async function reason(context: ContextDocument): Promise<HypothesisSet> {
  const answer = await reasoner.reason(context);
  expect(hypothesisSetSchema.parse(answer)).toEqual(answer);
  const known = evidenceIdsOf(context);
  for (const h of answer.hypotheses) {
    expect(h.evidenceIds.filter(id => !known.has(id))).toEqual([]);
    expect(h.probability).toBeGreaterThanOrEqual(0);
    expect(h.confidence).toBe(confidenceOf(h.probability!));
    expect(h.affectedComponents[0]).toBe(h.origin);
  }
  const total = answer.hypotheses.reduce((sum, h) => sum + h.probability!, 0);
  expect(total).toBeLessThanOrEqual(1.001);
  return answer;
}

/**
 * storefront, a proxy: 99% of its request time is its call to checkout, as in any minute of
 * its life. One warning alert on its error rate.
 */
function proxyContext(overrides: Partial<ContextDocument> = {}) {
  return testContext({
    serviceName: 'storefront',
    alerts: [testFiringAlert('StorefrontErrorRate')],
    operations: [
      testOperation('GET /shop', {
        errorCount: 4,
        errorRate: 0.01,
        p95Ms: 410,
        baselineErrorCount: 9,
        baselineP95Ms: 400,
      }),
    ],
    dependencies: [
      testDependency('checkout', {
        latencyShare: 0.99,
        p95Ms: 400,
        baselineP95Ms: 395,
        errorCount: 4,
        errorRate: 0.01,
        baselineErrorCount: 9,
      }),
    ],
    onset: testOnset({ method: 'alert-start', series: null }),
    ...overrides,
  });
}

describe('HeuristicReasoner: baselines', () => {
  it('caps every hypothesis resting on an unknown or too-short baseline below medium, and says so', async () => {
    // Strong-looking evidence: a dependency holding 99% of the time and failing a third of the
    // calls, 300 new-looking error logs, a failing operation. But nothing to compare it with.
    const loud = testContext({
      serviceName: 'storefront',
      alerts: [testFiringAlert()],
      operations: [
        testOperation('GET /shop', {
          errorCount: 200,
          errorRate: 0.33,
          sampleError: 'upstream checkout failed',
          baselineSpanCount: undefined,
          baselineErrorCount: undefined,
          baselineP95Ms: undefined,
        }),
      ],
      dependencies: [
        testDependency('checkout', {
          latencyShare: 0.99,
          p95Ms: 2400,
          errorCount: 200,
          errorRate: 0.33,
          baselineCallCount: undefined,
          baselineErrorCount: undefined,
          baselineP95Ms: undefined,
        }),
      ],
      logTemplates: [
        testTemplate('upstream', 'upstream checkout failed after <*> ms', {
          count: 300,
          baselineCount: undefined,
        }),
      ],
    });
    const variants: Array<[string, ContextDocument]> = [
      ['no baseline figures at all', loud],
      [
        'a pre-onset baseline of 2 minutes',
        {
          ...loud,
          onset: testOnset({ baselineMinutes: 2, baselineSufficient: false }),
        },
      ],
      [
        'no baseline anywhere',
        {
          ...loud,
          onset: testOnset({
            baselineWindow: null,
            baselineMinutes: 0,
            baselineSufficient: false,
            baselineSource: 'none',
          }),
        },
      ],
    ];
    for (const [, context] of variants) {
      const answer = await reason(context);
      expect(answer.hypotheses.length).toBeGreaterThan(0);
      for (const h of answer.hypotheses) {
        expect(h.probability).toBeLessThanOrEqual(
          MISSING_BASELINE_PROBABILITY_CAP,
        );
        expect(h.confidence).toBe('low');
        expect(h.reasoning).toMatch(/The baseline is missing: /);
      }
    }
    // The same evidence with a sufficient baseline that shows the change is high.
    const withBaseline = await reason({
      ...loud,
      onset: testOnset(),
      dependencies: [
        {
          ...loud.dependencies[0],
          baselineCallCount: 1200,
          baselineErrorCount: 0,
          baselineP95Ms: 380,
        },
      ],
    });
    expect(withBaseline.hypotheses[0]).toMatchObject({
      origin: 'checkout',
      confidence: 'high',
    });
  });

  it('does not take a too-short baseline for evidence even when the items carry baseline figures', async () => {
    const context = proxyContext({
      onset: testOnset({ baselineMinutes: 1, baselineSufficient: false }),
      dependencies: [
        testDependency('checkout', {
          latencyShare: 0.99,
          p95Ms: 2400,
          baselineP95Ms: 390,
        }),
      ],
    });
    const answer = await reason(context);
    expect(answer.hypotheses.map(h => h.confidence)).toEqual(['low']);
    expect(answer.hypotheses[0].reasoning).toContain('too short (1 min');
  });

  it('abstains on a steady proxy whose dependency share is as in the baseline', async () => {
    await expect(reason(proxyContext())).resolves.toEqual({
      hypotheses: [],
      insufficientEvidence: true,
    });
  });

  it('answers only low when the dependency share cannot be compared with a baseline', async () => {
    const answer = await reason(
      proxyContext({
        dependencies: [
          testDependency('checkout', {
            latencyShare: 0.99,
            p95Ms: 400,
            baselineCallCount: 0,
            baselineErrorCount: 0,
            baselineP95Ms: null,
          }),
        ],
      }),
    );
    for (const h of answer.hypotheses) {
      expect(h.confidence).toBe('low');
    }
  });

  it('takes a saturation metric near its limit for evidence even without a baseline', async () => {
    const answer = await reason(
      testContext({
        serviceName: 'search',
        onset: testOnset({ baselineMinutes: 0, baselineSufficient: false }),
        metricDeltas: [
          {
            id: 'metric:container.memory.working_set',
            metric: 'container.memory.working_set',
            attributes: {},
            baseline: null,
            current: 1_990_000_000,
            changeRatio: null,
            limit: 2_000_000_000,
          },
        ],
        logTemplates: [
          testTemplate('oom', 'java.lang.OutOfMemoryError: Java heap space', {
            baselineCount: undefined,
            count: 12,
          }),
        ],
      }),
    );
    expect(answer.hypotheses[0]).toMatchObject({
      origin: 'search',
      kind: 'saturation',
    });
    expect(answer.hypotheses[0].probability).toBeGreaterThan(
      MISSING_BASELINE_PROBABILITY_CAP,
    );
    expect(answer.hypotheses[0].reasoning).not.toMatch(/baseline is missing/);
  });
});

describe('HeuristicReasoner: deploys', () => {
  it('ranks a bad deploy of the alerted service above a steady dependency share', async () => {
    const context = proxyContext({
      onset: testOnset(),
      changes: [
        {
          id: 'change:storefront-deploy',
          service: 'storefront',
          kind: 'deploy',
          at: '2026-11-24T10:04:30.000Z',
          from: '1.4.2',
          to: '1.5.0',
          summary: 'service.version 1.4.2 -> 1.5.0',
        },
      ],
      operations: [
        testOperation('GET /shop', {
          errorCount: 72,
          errorRate: 0.12,
          sampleError: 'TypeError: cart.items is not iterable',
        }),
      ],
      logTemplates: [
        testTemplate(
          'typeerror',
          'unhandled error in GET /shop: TypeError: <*> is not iterable',
          { count: 72 },
        ),
      ],
    });
    const answer = await reason(context);
    expect(answer.hypotheses[0]).toMatchObject({
      origin: 'storefront',
      kind: 'deploy',
      confidence: 'high',
    });
    expect(answer.hypotheses[0].evidenceIds).toContain(
      'change:storefront-deploy',
    );
    expect(answer.hypotheses[0].rootCause).toContain(
      'deploy of storefront 1.4.2 → 1.5.0',
    );
    // The steady checkout share is no hypothesis, or a low one below the deploy.
    for (const h of answer.hypotheses.slice(1)) {
      expect(h.probability!).toBeLessThan(answer.hypotheses[0].probability!);
      expect(h.confidence).toBe('low');
    }
  });
});

describe('HeuristicReasoner: a deploy that changed how the service calls', () => {
  // inventory 2.3.0 scans a table on every reservation: no new errors, its calls to the
  // database got slower, and its latency alert fired on noise a few seconds before the restart
  // (so the onset is the alert's start, not a change point).
  const deployContext = (localizedDeploy: boolean) =>
    testContext({
      serviceName: 'inventory',
      alerts: [testFiringAlert('HighLatencyP99')],
      onset: testOnset({ method: 'alert-start', series: null }),
      changes: [
        {
          id: 'change:inventory-deploy',
          service: 'inventory',
          kind: 'deploy',
          at: '2026-11-24T10:04:30.000Z',
          from: '2.2.0',
          to: '2.3.0',
          summary: 'service.version 2.2.0 -> 2.3.0',
        },
      ],
      localization: {
        origin: 'inventory',
        path: ['inventory'],
        suspects: [
          testSuspect('inventory', 0, {
            anomalyScore: 1.5,
            kind: localizedDeploy ? 'deploy' : null,
          }),
          testSuspect('orders-db', 1, { anomalyScore: 1.5 }),
        ],
        edges: [],
        maxDepth: 4,
        method: 'baro-mad+self-time',
      },
    });

  it('names the deploy at medium when localization tied it to the changed calls, a lead otherwise', async () => {
    const tied = await reason(deployContext(true));
    expect(tied.hypotheses[0]).toMatchObject({
      origin: 'inventory',
      kind: 'deploy',
    });
    expect(tied.hypotheses[0].probability).toBeGreaterThanOrEqual(0.6);

    const untied = await reason(deployContext(false));
    const deploy = untied.hypotheses.find(h => h.kind === 'deploy');
    expect(deploy?.probability ?? 0).toBeLessThanOrEqual(0.3);
  });
});

describe('HeuristicReasoner: resource waits', () => {
  it('blames a leaking connection pool on the service, not the database whose client spans include the wait', async () => {
    // orders' pg-pool runs dry: requests wait up to a second for a connection and give up; the
    // database client spans around the wait are slow and fail, the queries themselves are fast.
    const context = testContext({
      serviceName: 'orders',
      alerts: [testFiringAlert('OrdersLatency')],
      onset: testOnset({ series: 'duration' }),
      operations: [
        testOperation('POST /orders', {
          errorCount: 90,
          errorRate: 0.15,
          p95Ms: 1050,
          sampleError: 'timeout exceeded when trying to connect',
        }),
        testOperation('pg-pool.connect', {
          p95Ms: 1000,
          baselineP95Ms: 1,
          errorCount: 90,
          errorRate: 0.15,
          sampleError: 'timeout exceeded when trying to connect',
        }),
      ],
      dependencies: [
        testDependency('orders-db', {
          latencyShare: 0.96,
          p95Ms: 1010,
          baselineP95Ms: 6,
          errorCount: 90,
          errorRate: 0.15,
          errorShare: 1,
        }),
      ],
      logTemplates: [
        testTemplate(
          'pool',
          'order <*> failed: timeout exceeded when trying to connect',
          { count: 90, relatedIds: ['op:POST /orders', 'dep:orders-db'] },
        ),
      ],
    });
    const answer = await reason(context);
    const [first] = answer.hypotheses;
    expect(first).toMatchObject({
      origin: 'orders',
      kind: 'resource-wait',
      affectedComponents: ['orders'],
    });
    expect(first.confidence).not.toBe('low');
    expect(first.evidenceIds).toEqual(
      expect.arrayContaining(['log:pool', 'dep:orders-db']),
    );
    expect(first.reasoning).toContain(
      'include the time spent waiting for the connection pool',
    );
    expect(answer.hypotheses.filter(h => h.origin === 'orders-db')).toEqual([]);
  });

  it('blames a lock inside the service on it, even when localization sees its dependency calls slow', async () => {
    // inventory serializes stock updates behind an in-process lock; its calls to stock-store
    // wrap the wait and look slow, yet stock-store's own time did not change.
    const context = testContext({
      serviceName: 'inventory',
      alerts: [testFiringAlert('InventoryLatency')],
      onset: testOnset({ series: 'duration' }),
      operations: [
        testOperation('PUT /stock', { p95Ms: 2100, baselineP95Ms: 30 }),
        testOperation('stock lock acquire', {
          p95Ms: 2000,
          baselineP95Ms: 0.2,
        }),
      ],
      dependencies: [
        testDependency('stock-store', {
          latencyShare: 0.93,
          p95Ms: 2050,
          baselineP95Ms: 18,
        }),
      ],
      logTemplates: [
        testTemplate('lock', 'waiting for the lock on sku <*> took <*> ms', {
          level: 'WARN',
          count: 400,
        }),
      ],
      localization: {
        origin: 'inventory',
        path: ['inventory'],
        suspects: [
          testSuspect('inventory', 0, {
            changed: true,
            anomalyScore: 25,
            selfTimeP95Ms: 2000,
            baselineSelfTimeP95Ms: 12,
            kind: 'resource-wait',
          }),
          testSuspect('stock-store', 1),
        ],
        edges: [
          {
            from: 'inventory',
            to: 'stock-store',
            source: 'traces',
            callCount: 600,
            errorRate: 0,
            baselineErrorRate: 0,
            p95Ms: 2050,
            baselineP95Ms: 18,
            changed: ['latency'],
          },
        ],
        maxDepth: 4,
        method: 'baro-mad+self-time',
      },
    });
    const answer = await reason(context);
    expect(answer.hypotheses[0]).toMatchObject({
      origin: 'inventory',
      kind: 'resource-wait',
    });
    expect(answer.hypotheses[0].evidenceIds).toEqual(
      expect.arrayContaining(['log:lock', 'dep:stock-store']),
    );
    for (const h of answer.hypotheses.filter(x => x.origin === 'stock-store')) {
      expect(h.confidence).toBe('low');
    }
  });
});

describe('HeuristicReasoner: origin', () => {
  /**
   * frontend -> checkout -> payments -> card-db. card-db's own query time went up tenfold; the
   * services above it only pass the wait on. Seen from frontend, checkout looks slow.
   */
  function threeHops(): ContextDocument {
    const suspects = [
      testSuspect('frontend', 0),
      testSuspect('checkout', 1, { passedOnErrors: 12 }),
      testSuspect('payments', 2, { passedOnErrors: 12 }),
      testSuspect('card-db', 3, {
        changed: true,
        anomalyScore: 18,
        selfTimeP95Ms: 950,
        baselineSelfTimeP95Ms: 90,
        originatingErrors: 12,
        kind: 'latency',
        evidenceIds: ['op:card-db:SELECT cards'],
      }),
    ];
    const edge = (from: string, to: string) => ({
      from,
      to,
      source: 'traces' as const,
      callCount: 500,
      errorRate: 0.02,
      baselineErrorRate: 0,
      p95Ms: 1100,
      baselineP95Ms: 120,
      changed: ['latency' as const],
    });
    return testContext({
      serviceName: 'frontend',
      alerts: [testFiringAlert('FrontendLatency')],
      onset: testOnset({ series: 'duration' }),
      operations: [
        testOperation('GET /checkout', { p95Ms: 1200, baselineP95Ms: 140 }),
        testOperation('SELECT cards', {
          service: 'card-db',
          p95Ms: 950,
          baselineP95Ms: 90,
        }),
      ],
      dependencies: [
        testDependency('checkout.shop.svc.cluster.local', {
          latencyShare: 0.95,
          p95Ms: 1150,
          baselineP95Ms: 125,
          errorCount: 12,
          errorRate: 0.02,
        }),
      ],
      logTemplates: [
        testTemplate('slowcall', 'call to checkout took <*> ms', {
          level: 'WARN',
          relatedIds: ['dep:checkout.shop.svc.cluster.local'],
        }),
      ],
      localization: {
        origin: 'card-db',
        path: ['frontend', 'checkout', 'payments', 'card-db'],
        suspects,
        edges: [
          edge('frontend', 'checkout'),
          edge('checkout', 'payments'),
          edge('payments', 'card-db'),
        ],
        maxDepth: 4,
        method: 'baro-mad+self-time',
      },
    });
  }

  it('names the origin three hops down first, then the path back to the alerted service', async () => {
    const answer = await reason(threeHops());
    const [first] = answer.hypotheses;
    expect(first).toMatchObject({
      origin: 'card-db',
      kind: 'latency',
      affectedComponents: ['card-db', 'payments', 'checkout', 'frontend'],
    });
    expect(first.probability).toBeGreaterThanOrEqual(0.7);
    expect(first.rootCause).toMatch(
      /^The fault began in card-db, 3 hops down from frontend \(frontend → checkout → payments → card-db\)/,
    );
    expect(first.evidenceIds).toEqual(
      expect.arrayContaining([
        'op:card-db:SELECT cards',
        'dep:checkout.shop.svc.cluster.local',
      ]),
    );
    // The neighbour that only passes the fault on is no suspect of its own.
    expect(answer.hypotheses.filter(h => h.origin === 'checkout')).toEqual([]);
  });

  it('names an origin two hops down with the kind of its own evidence (a deploy)', async () => {
    const context = threeHops();
    const localization = context.localization!;
    const answer = await reason({
      ...context,
      localization: {
        ...localization,
        origin: 'payments',
        path: ['frontend', 'checkout', 'payments'],
        suspects: [
          ...localization.suspects.filter(s => s.service !== 'card-db'),
        ].map(s =>
          s.service === 'payments'
            ? { ...s, changed: true, anomalyScore: 11, originatingErrors: 30 }
            : s,
        ),
      },
      changes: [
        {
          id: 'change:payments-deploy',
          service: 'payments',
          kind: 'deploy',
          at: '2026-11-24T10:04:00.000Z',
          from: '3.1.0',
          to: '3.2.0',
          summary: 'service.version 3.1.0 -> 3.2.0',
        },
      ],
      logTemplates: [
        ...context.logTemplates,
        testTemplate('npe', 'charge failed: NullPointerException at <*>', {
          service: 'payments',
          count: 30,
        }),
      ],
    });
    expect(answer.hypotheses[0]).toMatchObject({
      origin: 'payments',
      kind: 'deploy',
      affectedComponents: ['payments', 'checkout', 'frontend'],
    });
    expect(answer.hypotheses[0].evidenceIds).toEqual(
      expect.arrayContaining(['change:payments-deploy', 'log:npe']),
    );
  });

  it('caps the origin when localization had no baseline for its behaviour', async () => {
    const context = threeHops();
    const answer = await reason({
      ...context,
      localization: {
        ...context.localization!,
        suspects: context.localization!.suspects.map(s =>
          s.service === 'card-db' ? { ...s, baselineKnown: false } : s,
        ),
      },
    });
    const origin = answer.hypotheses.find(h => h.origin === 'card-db')!;
    expect(origin.probability).toBeLessThanOrEqual(
      MISSING_BASELINE_PROBABILITY_CAP,
    );
  });
});
