import {
  ContextDocument,
  HypothesisSet,
  MetricDelta,
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
import { cpuStarved } from '../../enrichment/computeMetricDeltas';
import { HeuristicReasoner } from './HeuristicReasoner';
import { failureModeOf } from './network';
import { ownWait } from './resourceWait';
import { rank } from './scoring';

/*
 * How faults show in the telemetry of really instrumented services (the lab's recordings),
 * read in general: runtime metrics that move with load, errors wrapped by callers, name lookups
 * that fail in the caller, parse errors of a poison message.
 */

const reasoner = new HeuristicReasoner();

async function reason(context: ContextDocument): Promise<HypothesisSet> {
  const answer = await reasoner.reason(context);
  expect(hypothesisSetSchema.parse(answer)).toEqual(answer);
  return answer;
}

function metric(
  name: string,
  baseline: number | null,
  current: number,
  extra: Partial<MetricDelta> = {},
): MetricDelta {
  return {
    id: `metric:${name}`,
    metric: name,
    attributes: {},
    baseline,
    current,
    changeRatio: baseline ? (current - baseline) / baseline : null,
    ...extra,
  };
}

describe('runtime metrics', () => {
  it('keeps a heap or GC rise without a limit, errors or restarts a low lead', async () => {
    // GC durations and heap of a healthy Node process rise by multiples with load.
    const answer = await reason(
      testContext({
        serviceName: 'checkout',
        alerts: [testFiringAlert('HighLatencyP99')],
        onset: testOnset(),
        metricDeltas: [
          metric('v8js.gc.duration', 0.0005, 0.007, {
            attributes: { 'v8js.gc.type': 'incremental' },
          }),
          metric('v8js.memory.heap.used', 20_000_000, 60_000_000),
        ],
      }),
    );
    expect(answer.hypotheses.every(h => h.probability! <= 0.3)).toBe(true);
  });

  it('reads an event loop busy most of the time after a rise as CPU starvation, and a busy loop by design as none', () => {
    const loop = (baseline: number, current: number) =>
      metric('nodejs.eventloop.utilization', baseline, current, { limit: 1 });
    expect(cpuStarved(loop(0.38, 0.77))).toBe(true);
    expect(cpuStarved(loop(0.3, 0.95))).toBe(true);
    // Busy by design: no rise.
    expect(cpuStarved(loop(0.7, 0.75))).toBe(false);
    // A rise, but idle most of the time.
    expect(cpuStarved(loop(0.16, 0.3))).toBe(false);
    expect(cpuStarved(metric('v8js.memory.heap.used', 1, 3))).toBe(false);
  });

  it('names a CPU-starved service itself, not the provider its slow calls go to, when localization cleared the provider', async () => {
    const answer = await reason(
      testContext({
        serviceName: 'payments',
        alerts: [testFiringAlert('HighLatencyP99')],
        onset: testOnset({ series: 'duration' }),
        dependencies: [
          testDependency('payment-provider', {
            latencyShare: 0.71,
            p95Ms: 1313,
            baselineP95Ms: 647,
            errorCount: 0,
            errorRate: 0,
            callCount: 13,
            baselineCallCount: 53,
            baselineErrorCount: 0,
          }),
        ],
        metricDeltas: [
          metric('nodejs.eventloop.utilization', 0.38, 0.77, { limit: 1 }),
        ],
        localization: {
          origin: null,
          path: [],
          suspects: [
            {
              service: 'payment-provider',
              entityRef: null,
              hops: 1,
              anomalyScore: 12.5,
              selfTimeP95Ms: 1313,
              baselineSelfTimeP95Ms: 647,
              originatingErrors: 0,
              passedOnErrors: 0,
              kind: null,
              // Measured only by the starved caller: not its own change.
              changed: false,
              baselineKnown: true,
              evidenceIds: [],
            },
          ],
          edges: [],
          maxDepth: 4,
          method: 'baro-mad+self-time',
        },
      }),
    );
    expect(answer.hypotheses[0]).toMatchObject({
      origin: 'payments',
      kind: 'saturation',
    });
    // A busy loop below its limit is a lead: a healthy shop's loops double with load too.
    expect(answer.hypotheses[0].probability).toBeLessThanOrEqual(0.3);
  });

  it('keeps a loop at its limit a lead when the own time of the service did not change, and names the origin further down', async () => {
    const loopAtLimit = metric('nodejs.eventloop.utilization', 0.17, 1, {
      limit: 1,
      anomalyScore: 8.8,
    });
    const localization = (storefrontChanged: boolean) => ({
      origin: 'orders-db',
      path: ['storefront', 'inventory', 'orders-db'],
      suspects: [
        testSuspect('orders-db', 2, {
          anomalyScore: 60.8,
          changed: true,
          kind: 'latency',
        }),
        testSuspect('inventory', 1, {
          anomalyScore: 60.8,
          changed: true,
          kind: 'resource-wait',
        }),
        testSuspect('storefront', 0, {
          anomalyScore: storefrontChanged ? 12 : 0.9,
          changed: storefrontChanged,
          kind: storefrontChanged ? 'saturation' : null,
        }),
      ],
      edges: [],
      maxDepth: 4,
      method: 'baro-mad+self-time',
    });
    const context = (storefrontChanged: boolean) =>
      testContext({
        serviceName: 'storefront',
        alerts: [testFiringAlert('StorefrontLatencySLO')],
        onset: testOnset({ series: 'duration' }),
        metricDeltas: [loopAtLimit],
        localization: localization(storefrontChanged),
      });

    const unchanged = await reason(context(false));
    expect(unchanged.hypotheses[0]).toMatchObject({ origin: 'orders-db' });
    const cpu = unchanged.hypotheses.find(h => h.kind === 'saturation');
    expect(cpu?.probability ?? 0).toBeLessThanOrEqual(0.3);

    // The same loop while the service's own time grew is its fault, at its limit.
    const changed = await reason(context(true));
    const ownCpu = changed.hypotheses.find(
      h => h.kind === 'saturation' && h.origin === 'storefront',
    );
    expect(ownCpu?.probability).toBeGreaterThan(0.3);
  });
});

describe('wrapped errors', () => {
  it('takes a failed name lookup for a failure of the service that looked the name up', async () => {
    const own = await reason(
      testContext({
        serviceName: 'shipping',
        alerts: [testFiringAlert()],
        onset: testOnset(),
        dependencies: [testDependency('carrier-api', { errorCount: 0 })],
        logTemplates: [
          testTemplate(
            'dns',
            'POST /quote failed: getaddrinfo ENOTFOUND carrier-api.invalid',
            { count: 330 },
          ),
        ],
      }),
    );
    expect(own.hypotheses[0]).toMatchObject({
      origin: 'shipping',
      kind: 'network',
    });

    // The caller's view: shipping looked the name up and failed.
    const caller = await reason(
      testContext({
        serviceName: 'checkout',
        alerts: [testFiringAlert()],
        onset: testOnset(),
        dependencies: [testDependency('shipping', { errorCount: 0 })],
        logTemplates: [
          testTemplate(
            'dns',
            'POST /orders failed: POST http://shipping:8080/quote answered 502: getaddrinfo ENOTFOUND carrier-api.invalid',
            { count: 330 },
          ),
        ],
      }),
    );
    expect(caller.hypotheses[0]).toMatchObject({
      origin: 'shipping',
      kind: 'network',
    });
  });

  it('blames a name that no longer resolves on the service that looks it up, though its calls to that new name have no baseline', async () => {
    // A config rollout pointed shipping at carrier-api.invalid: every call to that name fails
    // in the lookup, and the name was never called before, so its calls have no baseline; the
    // error template is new against the baseline all the same.
    const answer = await reason(
      testContext({
        serviceName: 'shipping',
        alerts: [testFiringAlert()],
        onset: testOnset(),
        dependencies: [
          testDependency('carrier-api.invalid', {
            callCount: 32,
            errorCount: 32,
            errorRate: 1,
            errorShare: 1,
            latencyShare: 0.02,
            baselineCallCount: 0,
            baselineErrorCount: 0,
            baselineP95Ms: null,
          }),
        ],
        logTemplates: [
          testTemplate(
            'dns',
            'POST /quote failed: getaddrinfo ENOTFOUND carrier-api.invalid',
            { count: 372, relatedIds: ['dep:carrier-api.invalid'] },
          ),
        ],
      }),
    );
    expect(answer.hypotheses[0]).toMatchObject({
      origin: 'shipping',
      kind: 'network',
    });
    expect(answer.hypotheses[0].probability).toBeGreaterThan(0.3);
    expect(
      answer.hypotheses.some(h => h.origin === 'carrier-api.invalid'),
    ).toBe(false);
  });

  it('reads a pool error wrapped in a callee answer as the callee wait, not the caller', () => {
    const pool = /timeout exceeded when trying to connect/i;
    expect(
      ownWait(
        'GET /products failed: GET http://inventory:8080/stock answered 500: database pool exhausted: timeout exceeded when trying to connect',
        pool,
        ['inventory', 'checkout'],
      ),
    ).toBe(false);
    expect(
      ownWait(
        'could not acquire a database connection for stock read: timeout exceeded when trying to connect (pool size 8, 12 waiting)',
        pool,
        ['orders-db'],
      ),
    ).toBe(true);
  });

  it('takes the parse errors of a truncated message for bad input', async () => {
    const answer = await reason(
      testContext({
        serviceName: 'fulfillment',
        alerts: [testFiringAlert('ConsumerFailing')],
        onset: testOnset(),
        operations: [
          testOperation('order_events process', {
            errorCount: 8,
            errorRate: 0.57,
            baselineErrorCount: 0,
          }),
        ],
        logTemplates: [
          testTemplate(
            'parse',
            'failed to process order event <*> (order <*>): Unterminated string in JSON at position <*> (line <*> column <*>); batch rolled back, will retry',
            { count: 71 },
          ),
        ],
      }),
    );
    expect(answer.hypotheses[0]).toMatchObject({
      origin: 'fulfillment',
      kind: 'bad-input',
    });
  });
});

describe('dependencies on the path of a deeper fault', () => {
  it('does not name a dependency behind which localization found the origin, though its own time grew', async () => {
    const edge = (
      from: string,
      to: string,
      changed: Array<'latency' | 'errors'>,
    ) => ({
      from,
      to,
      source: 'traces' as const,
      callCount: 40,
      errorRate: 0.3,
      baselineErrorRate: 0,
      p95Ms: 3000,
      baselineP95Ms: 300,
      changed,
    });
    const suspect = (
      service: string,
      hops: number,
      kind: 'latency' | 'resource-wait',
    ) => ({
      service,
      entityRef: null,
      hops,
      anomalyScore: 40,
      selfTimeP95Ms: 3000,
      baselineSelfTimeP95Ms: 300,
      originatingErrors: 0,
      passedOnErrors: 10,
      kind,
      changed: true,
      baselineKnown: true,
      evidenceIds: [],
    });
    const answer = await reason(
      testContext({
        serviceName: 'storefront',
        alerts: [testFiringAlert('StorefrontLatencySLO')],
        onset: testOnset({ series: 'duration' }),
        dependencies: [
          testDependency('checkout', {
            latencyShare: 0.58,
            p95Ms: 6367,
            baselineP95Ms: 1485,
            errorCount: 18,
            errorRate: 0.38,
            callCount: 47,
            baselineCallCount: 20,
            baselineErrorCount: 0,
          }),
        ],
        logTemplates: [
          testTemplate('reset', 'POST /checkout failed: read ECONNRESET', {
            count: 3,
          }),
          testTemplate(
            'timeout',
            'POST /checkout failed: POST <*>/orders timed out after <*> ms',
            { count: 140 },
          ),
        ],
        localization: {
          origin: 'orders-db',
          path: ['storefront', 'inventory', 'orders-db'],
          suspects: [
            suspect('orders-db', 2, 'latency'),
            // checkout's pool fills behind the locked database: its own time grew too.
            suspect('checkout', 1, 'resource-wait'),
            suspect('inventory', 1, 'resource-wait'),
          ],
          edges: [
            edge('storefront', 'checkout', ['latency', 'errors']),
            edge('storefront', 'inventory', ['latency', 'errors']),
            edge('checkout', 'orders-db', ['latency']),
            edge('inventory', 'orders-db', ['latency']),
          ],
          maxDepth: 4,
          method: 'baro-mad+self-time',
        },
      }),
    );
    expect(answer.hypotheses[0].origin).toBe('orders-db');
    const checkout = answer.hypotheses.find(h => h.origin === 'checkout');
    expect(checkout?.probability ?? 0).toBeLessThanOrEqual(0.25);
    // Its failure mode is what most of its errors name: timeouts, not a few resets.
    expect(checkout).toBeDefined();
    expect(checkout!.kind).not.toBe('network');
  });

  it('reads the failure mode most errors name, not the first pattern that matches any', () => {
    expect(
      failureModeOf(
        ['read ECONNRESET', 'POST /orders timed out after 3000 ms'],
        [3, 140],
      )?.mode,
    ).toBe('timeout');
    // Without counts the first mode in order wins, as before.
    expect(
      failureModeOf(['read ECONNRESET', 'POST /orders timed out after 3000 ms'])
        ?.mode,
    ).toBe('refused');
  });
});

describe('scoring', () => {
  it('leaves out a candidate that cites no evidence (the schema requires one)', () => {
    const answer = rank(
      [
        {
          strength: 0.8,
          order: 1,
          rule: 'origin',
          kind: 'latency',
          origin: 'order_events',
          hypothesis: {
            rootCause: 'The fault began in order_events.',
            affectedComponents: [],
            reasoning: 'No evidence.',
            diagnosticSteps: [],
            evidenceIds: [],
          },
        },
      ],
      testContext(),
    );
    expect(answer).toEqual({ hypotheses: [], insufficientEvidence: true });
    expect(hypothesisSetSchema.parse(answer)).toEqual(answer);
  });
});
