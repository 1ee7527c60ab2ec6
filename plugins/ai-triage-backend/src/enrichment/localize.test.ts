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
