import { errorsUnlikely, localize } from './localize';
import { attributeSpans } from './serviceGraph';
import { FAULT_MS, FAULT_S, shopTraces } from '../__testUtils__/shopTraces';

const END_MS = FAULT_MS + FAULT_S * 1000;
const windows = {
  baseline: { fromMs: FAULT_MS - 120_000, toMs: FAULT_MS },
  incident: { fromMs: FAULT_MS, toMs: END_MS },
  bucketMs: 10_000,
  maxDepth: 4,
};

describe('attributeSpans', () => {
  it('gives a span its duration minus the union of its children as self time', () => {
    const { shares } = attributeSpans(shopTraces({}).slice(0, 12));
    const frontend = shares.find(
      s => s.span.serviceName === 'frontend' && s.span.kind === 2,
    )!;
    expect(frontend.selfMs).toBeGreaterThan(2.9);
    expect(frontend.selfMs).toBeLessThan(6);
    // The query nobody answers belongs to the database; the pool wait to ledger itself.
    const query = shares.find(s => s.operation.startsWith('pg.query'))!;
    expect(query.node).toBe('postgresql');
    const connect = shares.find(s => s.operation === 'pg-pool.connect')!;
    expect(connect).toMatchObject({ node: 'ledger', wait: true });
  });

  it('tells errors that originate from errors passed on', () => {
    const spans = shopTraces(
      {
        failing: {
          service: 'ledger',
          share: 1,
          message: 'constraint violated',
        },
      },
      { healthyS: 0 },
    ).filter(span => parseInt(span.traceId, 16) <= 10);
    const { shares } = attributeSpans(spans);
    const originating = shares.filter(s => s.originatingError);
    expect(new Set(originating.map(s => s.node))).toEqual(new Set(['ledger']));
    expect(shares.filter(s => s.passedOnError).map(s => s.node)).toContain(
      'frontend',
    );
  });
});

describe('localize', () => {
  it('names a slow service three hops down as origin, with the path to it', () => {
    const { localization } = localize({
      spans: shopTraces({ slow: { service: 'ledger', ms: 60 } }),
      alertedService: 'frontend',
      ...windows,
    });
    expect(localization.origin).toBe('ledger');
    expect(localization.path).toEqual([
      'frontend',
      'checkout',
      'payments',
      'ledger',
    ]);
    expect(localization.suspects[0]).toMatchObject({
      service: 'ledger',
      hops: 3,
      changed: true,
      baselineKnown: true,
      kind: 'latency',
    });
    const checkout = localization.suspects.find(s => s.service === 'checkout')!;
    expect(checkout.changed).toBe(false);
    expect(
      localization.edges.find(e => e.from === 'payments' && e.to === 'ledger')!
        .changed,
    ).toContain('latency');
  });

  it('does not name a service that only passes errors on: the origin is two hops down', () => {
    const { localization } = localize({
      spans: shopTraces({
        failing: {
          service: 'payments',
          share: 0.3,
          message: 'card declined by bug',
        },
      }),
      alertedService: 'frontend',
      ...windows,
    });
    expect(localization.origin).toBe('payments');
    expect(localization.path).toEqual(['frontend', 'checkout', 'payments']);
    const checkout = localization.suspects.find(s => s.service === 'checkout')!;
    expect(checkout).toMatchObject({ changed: false, originatingErrors: 0 });
    expect(checkout.passedOnErrors).toBeGreaterThan(0);
    expect(localization.suspects[0].kind).toBe('errors');
  });

  it('blames a pool wait on the service that waits, not the database, though its client spans look slow', () => {
    const { localization } = localize({
      spans: shopTraces({ poolWait: { service: 'ledger', ms: 150 } }),
      alertedService: 'frontend',
      ...windows,
    });
    expect(localization.origin).toBe('ledger');
    expect(localization.suspects[0]).toMatchObject({
      service: 'ledger',
      kind: 'resource-wait',
    });
    const db = localization.suspects.find(s => s.service === 'postgresql');
    expect(db?.changed ?? false).toBe(false);
  });

  it('names the database as origin when its queries slow down, but a service deployed at the onset when the slower queries are its own', () => {
    const spans = shopTraces({ querySlowMs: 80 });
    const slowDb = localize({ spans, alertedService: 'frontend', ...windows });
    expect(slowDb.localization.origin).toBe('postgresql');
    const deployed = localize({
      spans,
      alertedService: 'frontend',
      ...windows,
      evidence: new Map([
        [
          'ledger',
          {
            texts: [],
            nearLimit: [],
            changed: true,
            evidenceIds: ['change:deploy:ledger:2.1.0'],
          },
        ],
      ]),
    });
    expect(deployed.localization.origin).toBe('ledger');
    expect(deployed.localization.suspects[0]).toMatchObject({
      service: 'ledger',
      kind: 'deploy',
    });
  });

  it('names no origin when nothing changed, and no changed edge', () => {
    const { localization } = localize({
      spans: shopTraces({}),
      alertedService: 'frontend',
      ...windows,
    });
    expect(localization.origin).toBeNull();
    expect(localization.edges.every(e => e.changed.length === 0)).toBe(true);
  });

  it('claims no change without a baseline', () => {
    const { localization } = localize({
      spans: shopTraces({ slow: { service: 'ledger', ms: 60 } }),
      alertedService: 'frontend',
      ...windows,
      baseline: null,
    });
    expect(localization.origin).toBeNull();
    expect(
      localization.suspects.every(s => !s.baselineKnown && !s.changed),
    ).toBe(true);
  });
});

describe('localize without a baseline', () => {
  it('names where errors originate as a suspect, claiming no change', () => {
    const { localization } = localize({
      spans: shopTraces(
        { failing: { service: 'ledger', share: 0.5, message: 'boom' } },
        { healthyS: 0 },
      ),
      alertedService: 'frontend',
      ...windows,
      baseline: null,
    });
    expect(localization.origin).toBe('ledger');
    expect(localization.path).toEqual([
      'frontend',
      'checkout',
      'payments',
      'ledger',
    ]);
    const ledger = localization.suspects.find(s => s.service === 'ledger')!;
    expect(ledger).toMatchObject({ changed: false, baselineKnown: false });
    expect(localization.edges.every(e => e.changed.length === 0)).toBe(true);
  });
});

describe('errorsUnlikely', () => {
  it('tells errors a baseline does not explain from those it does, even in a handful of calls', () => {
    expect(errorsUnlikely(2, 5, 0, 40)).toBe(true);
    expect(errorsUnlikely(1, 5, 0, 40)).toBe(false);
    expect(errorsUnlikely(5, 100, 5, 100)).toBe(false);
    expect(errorsUnlikely(30, 100, 5, 100)).toBe(true);
  });
});

describe('caller-side failures', () => {
  it('keeps a failed name lookup with the caller, not the host it could not resolve', () => {
    const spans = shopTraces({}).map(span =>
      span.serviceName === 'ledger' &&
      span.name.startsWith('pg.query') &&
      span.startTimeMs >= FAULT_MS
        ? {
            ...span,
            statusCode: 2,
            statusMessage: 'getaddrinfo ENOTFOUND ledger-db.invalid',
            peerService: 'ledger-db.invalid',
          }
        : span,
    );
    const { shares } = attributeSpans(spans);
    const failed = shares.filter(s => s.originatingError);
    expect(new Set(failed.map(s => s.node))).toEqual(new Set(['ledger']));
  });
});

describe('localize reads how faults show in real telemetry', () => {
  const evidence = (service: string, extra: { cpuStarved?: boolean } = {}) =>
    new Map([
      [
        service,
        {
          texts: [],
          nearLimit: [],
          changed: false,
          evidenceIds: [],
          ...extra,
        },
      ],
    ]);

  it('does not blame a callee measured only by a caller starved of CPU: the caller is the origin', () => {
    // The ledger burns CPU; its queries (measured only by its own client spans, which now
    // include the time its busy process could not run their callbacks) look slower too.
    const spans = shopTraces({
      slow: { service: 'ledger', ms: 40 },
      querySlowMs: 40,
    });
    const unaware = localize({ spans, alertedService: 'frontend', ...windows });
    expect(unaware.localization.origin).toBe('postgresql');

    const { localization } = localize({
      spans,
      alertedService: 'frontend',
      ...windows,
      evidence: evidence('ledger', { cpuStarved: true }),
    });
    expect(localization.origin).toBe('ledger');
    expect(localization.suspects[0]).toMatchObject({
      service: 'ledger',
      kind: 'saturation',
    });
    const db = localization.suspects.find(s => s.service === 'postgresql');
    expect(db?.changed ?? false).toBe(false);
  });

  it('names the origin among suspects that carry a material share of the anomaly, not the deepest knock-on', () => {
    // payments slows down by 200 ms; the database's queries by a few ms (a shared host).
    const spans = shopTraces({
      slow: { service: 'payments', ms: 200 },
      querySlowMs: 12,
    });
    const { localization } = localize({
      spans,
      alertedService: 'frontend',
      ...windows,
    });
    const db = localization.suspects.find(s => s.service === 'postgresql')!;
    const payments = localization.suspects.find(s => s.service === 'payments')!;
    expect(db.changed).toBe(true);
    expect(db.anomalyScore).toBeLessThan(payments.anomalyScore / 4);
    expect(localization.origin).toBe('payments');
    expect(localization.path).toEqual(['frontend', 'checkout', 'payments']);
  });

  it('names a direct callee whose own time changed though the calls to it stayed within their noise, unless the caller is starved', () => {
    // payments slows down by 200 ms. In the healthy minutes one request in four of checkout
    // stalled 600 ms while it waited for payments (its own process busy: the stall is in its
    // server span and its client span alike), so those calls' p95 hides the change.
    const spans = shopTraces({ slow: { service: 'payments', ms: 200 } }).map(
      span => {
        const stalled =
          span.serviceName === 'checkout' &&
          span.startTimeMs < FAULT_MS &&
          parseInt(span.traceId, 16) % 4 === 0 &&
          (span.kind === 2 || span.peerService === 'payments');
        return stalled ? { ...span, durationMs: span.durationMs + 600 } : span;
      },
    );
    const { localization } = localize({
      spans,
      alertedService: 'checkout',
      ...windows,
    });
    const edge = localization.edges.find(
      e => e.from === 'checkout' && e.to === 'payments',
    )!;
    expect(edge.changed).toEqual([]);
    expect(
      localization.suspects.find(s => s.service === 'checkout'),
    ).toMatchObject({
      changed: false,
      baselineKnown: true,
    });
    expect(localization.origin).toBe('payments');
    expect(localization.path).toEqual(['checkout', 'payments']);

    // A caller starved of CPU: its own stalls may be what slowed everything; no callee is named
    // from its view on the callee's figures alone.
    const starved = localize({
      spans,
      alertedService: 'checkout',
      ...windows,
      evidence: evidence('checkout', { cpuStarved: true }),
    });
    expect(starved.localization.origin).not.toBe('payments');
  });

  it('names the database when a pool waits because the queries holding its connections got slower', () => {
    const spans = shopTraces({
      poolWait: { service: 'ledger', ms: 900 },
      querySlowMs: 60,
    });
    const { localization } = localize({
      spans,
      alertedService: 'frontend',
      ...windows,
    });
    const ledger = localization.suspects.find(s => s.service === 'ledger')!;
    const db = localization.suspects.find(s => s.service === 'postgresql')!;
    expect(ledger).toMatchObject({ changed: true, kind: 'resource-wait' });
    expect(db.changed).toBe(true);
    // The wait is the database's time (Little's law): its anomaly score carries the wait's,
    // where its own per-request time alone would rank it under a quarter of the waiter's.
    expect(db.anomalyScore).toBeGreaterThanOrEqual(ledger.anomalyScore);
    expect(localization.origin).toBe('postgresql');
  });
});

describe('span links', () => {
  const producer = {
    traceId: 'a'.repeat(32),
    spanId: '1'.repeat(16),
    parentSpanId: null,
    serviceName: 'checkout',
    name: 'order_events publish',
    kind: 4,
    startTimeMs: FAULT_MS,
    durationMs: 2,
    statusCode: 0,
    statusMessage: null,
    peerService: null,
    attributes: { 'messaging.destination.name': 'order_events' },
  };
  const consumer = {
    ...producer,
    traceId: 'b'.repeat(32),
    spanId: '2'.repeat(16),
    serviceName: 'fulfillment',
    name: 'order_events process',
    kind: 5,
    startTimeMs: FAULT_MS + 500,
    statusCode: 2,
    statusMessage: 'Unexpected end of JSON input',
  };

  it('reads a consumer linked to a producer span as a call from the producer service', () => {
    const { calls } = attributeSpans([
      producer,
      {
        ...consumer,
        links: [{ traceId: producer.traceId, spanId: producer.spanId }],
      },
    ]);
    expect(calls.map(c => `${c.from}>${c.to}`).sort()).toEqual([
      'checkout>fulfillment',
      'checkout>order_events',
    ]);
  });

  it('falls back to the destination when the linked producer is not in the data', () => {
    const { calls } = attributeSpans([
      {
        ...consumer,
        links: [{ traceId: 'c'.repeat(32), spanId: '3'.repeat(16) }],
      },
    ]);
    expect(calls.map(c => `${c.from}>${c.to}`)).toEqual([
      'order_events>fulfillment',
    ]);
  });
});
