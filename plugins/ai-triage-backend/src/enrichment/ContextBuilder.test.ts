import {
  ContextDocument,
  contextDocumentSchema,
  evidenceIdsOf,
} from '@ai-triage/plugin-ai-triage-common';
import {
  LogRecord,
  MetricPoint,
  SpanRecord,
} from '@ai-triage/plugin-ai-triage-node';
import { ContextBuilder, ContextBuildInput } from './ContextBuilder';
import { logShapeKey } from '../telemetry/logShapeKey';
import {
  slowPaymentsScenario,
  WINDOW_FROM_MS,
} from '../__testUtils__/testScenarios';

/** A fixed permutation (reversal plus interleaving), to show the input order does not matter. */
function shuffled<T>(items: T[] | undefined): T[] {
  const reversed = [...(items ?? [])].reverse();
  return [
    ...reversed.filter((_, i) => i % 2 === 1),
    ...reversed.filter((_, i) => i % 2 === 0),
  ];
}

/** A span of the traces below; times in ms after the window opens. */
function traceSpan(
  traceId: string,
  spanId: string,
  parentSpanId: string | null,
  serviceName: string,
  name: string,
  kind: number,
  startMs: number,
  durationMs: number,
  options: { peer?: string; error?: string } = {},
): SpanRecord {
  return {
    traceId,
    spanId,
    parentSpanId,
    serviceName,
    name,
    kind,
    startTimeMs: WINDOW_FROM_MS + startMs,
    durationMs,
    statusCode: options.error ? 2 : 0,
    statusMessage: options.error ?? null,
    peerService: options.peer ?? null,
    attributes: {},
  };
}

/**
 * Ten checkout traces: each a server span calling redis and then payments, whose own server
 * span calls the card network; the payments call fails in traces 7-9, which are also the
 * slowest. Trace t is `t` in hex, 32 digits.
 */
function checkoutTraces(fromMs = 0): SpanRecord[] {
  return Array.from({ length: 10 }, (_, t) => {
    const traceId = t.toString(16).padStart(32, '0');
    const failing = t >= 7;
    const paymentsMs = failing ? 900 + t * 10 : 100 + t;
    const error = failing ? { error: 'deadline exceeded' } : {};
    const at = fromMs + t * 1_000;
    return [
      traceSpan(
        traceId,
        'a1',
        null,
        'checkout',
        'POST /checkout',
        2,
        at,
        paymentsMs + 20,
        error,
      ),
      traceSpan(traceId, 'a2', 'a1', 'checkout', 'GET', 3, at + 2, 5, {
        peer: 'redis',
      }),
      traceSpan(
        traceId,
        'a3',
        'a1',
        'checkout',
        'POST /charge',
        3,
        at + 10,
        paymentsMs,
        { peer: 'payments', ...error },
      ),
      traceSpan(
        traceId,
        'b1',
        'a3',
        'payments',
        'POST /charge',
        2,
        at + 11,
        paymentsMs - 2,
        error,
      ),
      traceSpan(
        traceId,
        'b2',
        'b1',
        'payments',
        'authorize',
        3,
        at + 12,
        paymentsMs - 50,
        { peer: 'card-network', ...error },
      ),
    ];
  }).flat();
}

function logRecord(
  timestampMs: number,
  severityNumber: number,
  body: string,
  traceId: string | null = null,
  spanId: string | null = null,
): LogRecord {
  return {
    serviceName: 'checkout',
    timestampMs,
    severityText: '',
    severityNumber,
    body,
    traceId,
    spanId,
    attributes: {},
  };
}

describe('ContextBuilder', () => {
  const builder = ContextBuilder.create();

  it('shows a slow downstream payments dependency dominating checkout latency', () => {
    const document = builder.build(slowPaymentsScenario());

    expect(contextDocumentSchema.parse(document)).toEqual(document);
    expect(document).toMatchObject({
      version: 1,
      incidentId: 'inc-checkout',
      serviceName: 'checkout',
      window: {
        from: '2026-11-24T10:00:00.000Z',
        to: '2026-11-24T10:15:00.000Z',
      },
      baselineWindow: {
        from: '2026-11-24T09:45:00.000Z',
        to: '2026-11-24T10:00:00.000Z',
      },
      alerts: [
        {
          id: 'alert:fp-checkout',
          name: 'CheckoutHighLatency',
          status: 'firing',
          severity: 'critical',
          summary: 'p99 latency of checkout above 1s',
          startsAt: '2026-11-24T10:00:00.000Z',
        },
      ],
      missing: [],
      truncated: [],
      redactions: 0,
    });

    expect(
      document.dependencies.map(d => [d.id, d.callCount, d.errorCount]),
    ).toEqual([
      ['dep:payments', 200, 20],
      ['dep:postgres', 200, 0],
      ['dep:redis', 260, 0],
    ]);
    const [payments, postgres] = document.dependencies;
    expect(payments.latencyShare).toBeGreaterThan(0.9);
    expect(payments.errorRate).toBe(0.1);
    expect(payments.p95Ms).toBe(1_870);
    expect(postgres.latencyShare).toBeLessThan(0.01);

    expect(document.operations).toEqual([
      {
        id: 'op:POST /checkout',
        operation: 'POST /checkout',
        spanCount: 200,
        errorCount: 20,
        errorRate: 0.1,
        p50Ms: 1_680,
        p95Ms: 1_910,
        maxMs: 1_930,
        sampleError: 'payment authorization failed: deadline exceeded',
        service: 'checkout',
        baselineSpanCount: 200,
        baselineErrorCount: 0,
        baselineP95Ms: 128,
      },
      {
        id: 'op:GET /cart',
        operation: 'GET /cart',
        spanCount: 60,
        errorCount: 0,
        errorRate: 0,
        p50Ms: 12,
        p95Ms: 12,
        maxMs: 12,
        sampleError: null,
        service: 'checkout',
        baselineSpanCount: 60,
        baselineErrorCount: 0,
        baselineP95Ms: 12,
      },
    ]);

    expect(document.logTemplates).toEqual([
      {
        id: expect.stringMatching(/^log:[0-9a-f]{12}$/),
        template:
          'payment authorization for order <*> timed out after <*> ms (<*>)',
        level: 'ERROR',
        count: 20,
        firstSeen: '2026-11-24T10:00:00.000Z',
        lastSeen: '2026-11-24T10:12:40.000Z',
        sample:
          'payment authorization for order 5019 timed out after 1519 ms (payments.shop.svc:8443)',
        baselineCount: 0,
        traceIds: [],
        relatedIds: [],
      },
      expect.objectContaining({
        template: 'order <*> placed by user <*>',
        level: 'INFO',
        count: 100,
      }),
    ]);

    expect(
      document.metricDeltas.map(d => [
        d.id,
        d.baseline,
        d.current,
        d.changeRatio,
      ]),
    ).toEqual([
      [
        'metric:http.client.request.duration{server.address=payments}',
        0.08,
        1.47,
        17.375,
      ],
      ['metric:process.cpu.utilization', 0.3, 0.31, 0.0333],
    ]);
  });

  it('is deterministic: the same telemetry in any order gives byte-identical JSON', () => {
    const input = slowPaymentsScenario();
    const reordered: ContextBuildInput = {
      ...input,
      current: {
        spans: shuffled(input.current.spans),
        logs: shuffled(input.current.logs),
        metrics: shuffled(input.current.metrics),
      },
      baseline: {
        ...input.baseline,
        metrics: shuffled(input.baseline.metrics),
      },
    };
    const first = JSON.stringify(builder.build(input));
    expect(JSON.stringify(builder.build(slowPaymentsScenario()))).toBe(first);
    expect(JSON.stringify(builder.build(reordered))).toBe(first);
  });

  it('holds a huge input to the byte budget, cutting the least significant items first', () => {
    const input = slowPaymentsScenario();
    const spans: SpanRecord[] = Array.from({ length: 3_000 }, (_, i) => ({
      ...input.current.spans![0],
      spanId: i.toString(16).padStart(16, '0'),
      name: `operation-${i}`,
      kind: i % 2 ? 2 : 3,
      peerService: `peer-${i}`,
      durationMs: i,
      statusCode: i === 2_999 ? 2 : 0,
    }));
    // Distinct words without digits: base 26, with the digits 0-9 spelled q-z.
    const words = (i: number) =>
      i.toString(26).replace(/\d/g, d => String.fromCharCode(113 + Number(d)));
    const logs: LogRecord[] = Array.from({ length: 5_000 }, (_, i) => ({
      ...input.current.logs![0],
      severityNumber: i === 4_999 ? 21 : 9,
      body: `event ${words(i)} happened in module ${words(i * 7)}`,
    }));
    const metrics: MetricPoint[] = Array.from({ length: 20_000 }, (_, i) => ({
      serviceName: 'checkout',
      name: 'http.server.request.count',
      timestampMs: WINDOW_FROM_MS,
      value: i === 0 ? 1_000 : 1,
      attributes: { 'http.route': `/route/${i}` },
    }));
    const baselineMetrics = metrics.map(point => ({ ...point, value: 1 }));
    const big: ContextBuildInput = {
      ...input,
      current: { spans, logs, metrics },
      baseline: { metrics: baselineMetrics },
      missing: ['prometheus: connect ECONNREFUSED 127.0.0.1:9090'],
      truncated: ['logs'],
    };

    const small = ContextBuilder.create({ maxBytes: 16_384 });
    const document = small.build(big);
    const bytes = Buffer.byteLength(JSON.stringify(document), 'utf8');

    expect(bytes).toBeLessThanOrEqual(16_384);
    expect(bytes).toBeGreaterThan(14_000);
    expect(contextDocumentSchema.parse(document)).toEqual(document);
    expect(document.missing).toEqual([
      'prometheus: connect ECONNREFUSED 127.0.0.1:9090',
    ]);
    expect(document.truncated).toEqual([
      `dependencies: kept ${document.dependencies.length} of 1500`,
      `logTemplates: kept ${document.logTemplates.length} of 5000`,
      'logs',
      `metricDeltas: kept ${document.metricDeltas.length} of 20000`,
      `operations: kept ${document.operations.length} of 1500`,
    ]);
    expect(document.alerts).toHaveLength(1);
    // The most significant item of each list survives the cut.
    expect(document.operations[0].operation).toBe('operation-2999');
    expect(document.dependencies[0].dependency).toBe('peer-2998');
    expect(document.logTemplates[0].level).toBe('FATAL');
    expect(document.metricDeltas[0]).toMatchObject({
      id: 'metric:http.server.request.count{http.route=/route/0}',
      changeRatio: 999,
    });
    // Longest lists are cut first, so what is left is balanced.
    const lengths = [
      document.operations.length,
      document.dependencies.length,
      document.logTemplates.length,
      document.metricDeltas.length,
    ];
    expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
  });

  it('redacts secrets in alert summaries, span errors and log samples, and counts them', () => {
    const input = slowPaymentsScenario();
    input.alerts[0].annotations.summary =
      'checkout slow, contact oncall@example.com';
    input.current.spans = input.current.spans!.map(span =>
      span.statusCode === 2 && span.kind === 2
        ? {
            ...span,
            statusMessage:
              'charge failed: Authorization Bearer sk_live_abcdef123456',
          }
        : span,
    );
    input.current.logs = [
      {
        ...input.current.logs![0],
        body: 'retrying login with password=hunter2 for card 4111 1111 1111 1111',
      },
    ];

    const document = builder.build(input);
    const json = JSON.stringify(document);
    for (const secret of [
      'oncall@example.com',
      'sk_live_abcdef123456',
      'hunter2',
      '4111 1111',
    ]) {
      expect(json).not.toContain(secret);
    }
    expect(document.alerts[0].summary).toBe(
      'checkout slow, contact [REDACTED]',
    );
    expect(document.operations[0].sampleError).toBe(
      'charge failed: Authorization Bearer [REDACTED]',
    );
    expect(document.logTemplates[0].sample).toBe(
      'retrying login with password=[REDACTED] for card [REDACTED]',
    );
    // 1 e-mail + 1 bearer token + 2 in the log message before mining + 2 in its sample.
    expect(document.redactions).toBe(6);
    expect(document.redactionsByKind).toEqual({
      authorization: 1,
      'card-number': 2,
      email: 1,
      'secret-value': 2,
    });
  });

  it('passes on what is missing or truncated, sorted and without repeats', () => {
    const document = builder.build({
      ...slowPaymentsScenario(),
      missing: ['tempo: timed out', 'loki: 503', 'tempo: timed out'],
      truncated: ['spans', 'logs'],
    });
    expect(document.missing).toEqual(['loki: 503', 'tempo: timed out']);
    expect(document.truncated).toEqual(['logs', 'spans']);
  });

  it('counts templates from log counts, takes samples and trace ids from the sampled records, and says whether counts are exact', () => {
    const shapeKey = logShapeKey('payment 1 failed');
    const input: ContextBuildInput = {
      ...slowPaymentsScenario(),
      current: {
        // A provider without counts (Loki, say): its records are counted one by one.
        logs: [logRecord(WINDOW_FROM_MS + 500, 17, 'payment 77 failed')],
      },
      baseline: {},
      truncated: [],
      countedLogs: {
        current: [
          {
            shapeKey,
            levelRank: 5,
            count: 9_000,
            firstMs: WINDOW_FROM_MS + 1_000,
            lastMs: WINDOW_FROM_MS + 50_000,
            example: 'payment 1 failed',
            traceId: null,
          },
          {
            shapeKey,
            levelRank: 3,
            count: 1_000,
            firstMs: WINDOW_FROM_MS,
            lastMs: WINDOW_FROM_MS + 60_000,
            example: 'payment 2 failed',
            traceId: null,
          },
          {
            shapeKey: logShapeKey('disk full on /var/lib/db'),
            levelRank: 6,
            count: 4,
            firstMs: WINDOW_FROM_MS + 7_000,
            lastMs: WINDOW_FROM_MS + 8_000,
            example: 'disk full on /var/lib/db',
            traceId: 'd'.repeat(32),
          },
        ],
        baseline: [
          {
            shapeKey,
            levelRank: 5,
            count: 12,
            firstMs: WINDOW_FROM_MS - 100_000,
            lastMs: WINDOW_FROM_MS - 90_000,
            example: 'payment 3 failed',
            traceId: null,
          },
        ],
        sampled: [
          logRecord(
            WINDOW_FROM_MS + 49_000,
            17,
            'payment 5 failed',
            'c'.repeat(32),
          ),
          logRecord(
            WINDOW_FROM_MS + 48_000,
            17,
            'payment 6 failed',
            'a'.repeat(32),
          ),
          logRecord(
            WINDOW_FROM_MS + 47_000,
            9,
            'payment 7 failed',
            'b'.repeat(32),
          ),
        ],
        complete: true,
      },
    };
    const document = builder.build(input);
    expect(contextDocumentSchema.parse(document)).toEqual(document);
    expect(
      document.logTemplates.map(t => ({
        template: t.template,
        level: t.level,
        count: t.count,
        baselineCount: t.baselineCount,
        firstSeen: t.firstSeen,
        lastSeen: t.lastSeen,
        sample: t.sample,
        traceIds: t.traceIds,
      })),
    ).toEqual([
      {
        // Only counted: its sample and trace id are its count's.
        template: 'disk full on <*>',
        level: 'FATAL',
        count: 4,
        baselineCount: 0,
        firstSeen: new Date(WINDOW_FROM_MS + 7_000).toISOString(),
        lastSeen: new Date(WINDOW_FROM_MS + 8_000).toISOString(),
        sample: 'disk full on /var/lib/db',
        traceIds: ['d'.repeat(32)],
      },
      {
        // 10,000 counted plus one record of the provider without counts.
        template: 'payment <*> failed',
        level: 'ERROR',
        count: 10_001,
        baselineCount: 12,
        firstSeen: new Date(WINDOW_FROM_MS).toISOString(),
        lastSeen: new Date(WINDOW_FROM_MS + 60_000).toISOString(),
        sample: 'payment 5 failed',
        traceIds: ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)],
      },
    ]);
    expect(document.logCountsExact).toBe(true);

    // Counts cut at a limit, or a provider that returned only its most frequent shapes.
    expect(
      builder.build({ ...input, truncated: ['logs'] }).logCountsExact,
    ).toBe(false);
    expect(
      builder.build({
        ...input,
        countedLogs: { ...input.countedLogs!, complete: false },
      }).logCountsExact,
    ).toBe(false);
  });

  it('builds a valid document from no telemetry at all', () => {
    const document = builder.build({
      ...slowPaymentsScenario(),
      current: {},
      baseline: {},
      missing: ['embedded: aborted'],
    });
    expect(contextDocumentSchema.parse(document)).toEqual(document);
    expect(document).toMatchObject({
      operations: [],
      dependencies: [],
      logTemplates: [],
      metricDeltas: [],
    });
  });

  it('gives no baseline figures for signals the baseline window was not read for', () => {
    const input = slowPaymentsScenario();
    const document = builder.build({ ...input, baseline: {} });
    expect(document.logTemplates[0]).not.toHaveProperty('baselineCount');
    expect(document.operations[0]).not.toHaveProperty('baselineSpanCount');
    expect(document.dependencies[0]).not.toHaveProperty('baselineCallCount');
    const read = builder.build({ ...input, baseline: { logs: [], spans: [] } });
    expect(read.logTemplates[0].baselineCount).toBe(0);
    expect(read.operations[0]).toMatchObject({
      baselineSpanCount: 0,
      baselineP95Ms: null,
    });
  });

  it('ties logs to traces, shows critical paths and tells new errors from steady ones', () => {
    const input = slowPaymentsScenario();
    const trace = (t: number) => t.toString(16).padStart(32, '0');
    const document = builder.build({
      ...input,
      current: {
        spans: checkoutTraces(),
        logs: [
          // New in the incident window, written inside the failing payments calls.
          ...[9, 8, 7].map(t =>
            logRecord(
              WINDOW_FROM_MS + t * 1_000,
              17,
              `charge ${t}00 failed: deadline exceeded`,
              trace(t),
              'a3',
            ),
          ),
          // Steady: as frequent in the baseline; written by the entry span (no span id).
          ...[0, 1, 2, 3].map(t =>
            logRecord(
              WINDOW_FROM_MS + t * 1_000,
              13,
              `cart 5${t} is stale, refreshing`,
              trace(t),
            ),
          ),
        ],
      },
      baseline: {
        spans: checkoutTraces(-15 * 60_000).filter(
          record => record.traceId < trace(7),
        ),
        logs: [0, 1, 2, 3, 4].map(t =>
          logRecord(
            WINDOW_FROM_MS - 60_000 + t,
            13,
            `cart 6${t} is stale, refreshing`,
          ),
        ),
      },
    });
    expect(contextDocumentSchema.parse(document)).toEqual(document);

    expect(
      document.logTemplates.map(t => [
        t.template,
        t.level,
        t.count,
        t.baselineCount,
        t.traceIds,
        t.relatedIds,
      ]),
    ).toEqual([
      [
        'charge <*> failed: deadline exceeded',
        'ERROR',
        3,
        0,
        [trace(7), trace(8), trace(9)],
        ['dep:payments'],
      ],
      [
        'cart <*> is stale, refreshing',
        'WARN',
        4,
        5,
        [trace(0), trace(1), trace(2)],
        ['op:POST /checkout'],
      ],
    ]);

    const [payments, redis] = document.dependencies;
    expect(payments).toMatchObject({
      id: 'dep:payments',
      callCount: 10,
      errorCount: 3,
      errorShare: 1,
      baselineCallCount: 7,
      baselineErrorCount: 0,
      baselineP95Ms: 106,
    });
    expect(redis).toMatchObject({
      id: 'dep:redis',
      errorShare: 0,
      baselineCallCount: 7,
    });
    // Only the service's own spans make operations; payments' spans stay on the critical paths.
    expect(document.operations.map(o => o.id)).toEqual(['op:POST /checkout']);
    expect(document.operations[0]).toMatchObject({
      service: 'checkout',
      errorCount: 3,
      baselineSpanCount: 7,
      baselineErrorCount: 0,
      baselineP95Ms: 126,
    });

    expect(document.criticalPaths).toEqual([
      {
        id: `trace:${trace(9)}`,
        traceId: trace(9),
        durationMs: 1_010,
        error: true,
        steps: [
          {
            service: 'checkout',
            operation: 'POST /checkout',
            durationMs: 1_010,
            selfMs: 20,
            error: true,
          },
          {
            service: 'checkout',
            operation: 'POST /charge',
            durationMs: 990,
            selfMs: 2,
            error: true,
          },
          {
            service: 'payments',
            operation: 'POST /charge',
            durationMs: 988,
            selfMs: 48,
            error: true,
          },
          {
            service: 'payments',
            operation: 'authorize',
            durationMs: 940,
            selfMs: 940,
            error: true,
          },
        ],
      },
      expect.objectContaining({ id: `trace:${trace(8)}`, durationMs: 1_000 }),
      expect.objectContaining({ id: `trace:${trace(7)}`, durationMs: 990 }),
    ]);
    expect(evidenceIdsOf(document)).toContain(`trace:${trace(9)}`);
  });

  it('keeps evidence ids stable when other telemetry comes and goes', () => {
    const input = slowPaymentsScenario();
    const first = builder.build(input);
    const second = builder.build({
      ...input,
      incidentId: 'inc-other',
      current: {
        ...input.current,
        logs: [
          ...input.current.logs!,
          logRecord(WINDOW_FROM_MS, 9, 'cache warmed in 31 ms'),
        ],
        spans: [...input.current.spans!, ...checkoutTraces()],
      },
    });
    const ids = (document: ContextDocument) => [
      ...document.logTemplates.map(t => `${t.id} ${t.template}`),
      ...document.metricDeltas.map(d => d.id),
    ];
    for (const id of ids(first)) expect(ids(second)).toContain(id);
    expect(second.operations.map(o => o.id)).toEqual(
      expect.arrayContaining(first.operations.map(o => o.id)),
    );
  });

  it('holds the document to a token budget and states its size', () => {
    const input = slowPaymentsScenario();
    // 3,000 templates: two words differ between any two messages, so none merge.
    const word = (i: number) =>
      `${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(
        97 + ((i / 26) % 26),
      )}${String.fromCharCode(97 + ((i / 676) % 26))}`;
    const logs = Array.from({ length: 3_000 }, (_, i) =>
      logRecord(WINDOW_FROM_MS + i, 9, `${word(i)} step ${word(i)} done`),
    );
    const document = ContextBuilder.create({ maxTokens: 3_000 }).build({
      ...input,
      current: { ...input.current, logs },
    });
    const json = JSON.stringify(document);
    expect(document.size).toEqual({
      bytes: Buffer.byteLength(json, 'utf8'),
      estimatedTokens: Math.ceil(Buffer.byteLength(json, 'utf8') / 3),
    });
    expect(document.size!.estimatedTokens).toBeLessThanOrEqual(3_000);
    expect(document.size!.estimatedTokens).toBeGreaterThan(2_700);
    expect(document.truncated).toContainEqual(
      expect.stringMatching(/^logTemplates: kept \d+ of \d+$/),
    );
    expect(() => ContextBuilder.create({ maxTokens: 100 })).toThrow(
      'The context token budget must be an integer of at least 2731 tokens, got 100',
    );
  });

  it('redacts with the configured rules everywhere text enters the document', () => {
    const input = slowPaymentsScenario();
    const secretHost = 'db-7.corp.internal';
    const redacting = ContextBuilder.create({
      redaction: {
        ipAddresses: true,
        patterns: [
          { name: 'internal-host', pattern: '[a-z0-9-]+\\.corp\\.internal' },
        ],
      },
    });
    const document = redacting.build({
      ...input,
      current: {
        spans: checkoutTraces().map(s =>
          s.name === 'GET' ? { ...s, name: `GET ${secretHost}` } : s,
        ),
        logs: [
          logRecord(WINDOW_FROM_MS, 17, `lost 10.9.8.7 and ${secretHost}`),
        ],
        metrics: [
          {
            serviceName: 'checkout',
            name: 'db.client.connections',
            timestampMs: WINDOW_FROM_MS,
            value: 3,
            attributes: { 'server.address': secretHost },
          },
        ],
      },
      missing: [`loki: connect ECONNREFUSED 10.0.0.9:3100`],
    });
    const json = JSON.stringify(document);
    expect(json).not.toContain(secretHost);
    expect(json).not.toContain('10.9.8.7');
    expect(json).not.toContain('10.0.0.9');
    expect(document.missing).toEqual([
      'loki: connect ECONNREFUSED [REDACTED]:3100',
    ]);
    expect(document.redactionsByKind).toEqual({
      // The span name, the log message (once per shape, before mining), its sample, the metric
      // attribute; the redis call is on no critical path, so its name never enters the document.
      'custom:internal-host': 3,
      // The log message, its sample and the provider error.
      'ip-address': 3,
    });
    expect(document.redactions).toBe(6);
  });

  it('refuses a budget too small to hold a document', () => {
    expect(() => ContextBuilder.create({ maxBytes: 1_000 })).toThrow(
      'The context budget must be an integer of at least 8192 bytes, got 1000',
    );
  });
});
