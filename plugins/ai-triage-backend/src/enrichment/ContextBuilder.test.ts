import { contextDocumentSchema } from '@ai-triage/plugin-ai-triage-common';
import {
  LogRecord,
  MetricPoint,
  SpanRecord,
} from '@ai-triage/plugin-ai-triage-node';
import { ContextBuilder, ContextBuildInput } from './ContextBuilder';
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
          'payment authorization for order <*> timed out after <*> ms (payments.shop.svc:<*>)',
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
    // 1 e-mail + 1 bearer token + 2 in the log sample + the password in its template (the
    // miner already masked the card number there).
    expect(document.redactions).toBe(5);
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

  it('refuses a budget too small to hold a document', () => {
    expect(() => ContextBuilder.create({ maxBytes: 1_000 })).toThrow(
      'The context budget must be an integer of at least 8192 bytes, got 1000',
    );
  });
});
