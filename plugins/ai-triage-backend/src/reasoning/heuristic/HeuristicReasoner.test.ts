import {
  ContextDocument,
  HypothesisSet,
  evidenceIdsOf,
  hypothesisSetSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { applyDatabaseMigrations } from '../../database/migrations';
import { ContextBuilder } from '../../enrichment/ContextBuilder';
import {
  connectionPoolScenario,
  poisonMessageScenario,
  quietScenario,
  slowPaymentsScenario,
} from '../../__testUtils__/testScenarios';
import { loadScenario } from '../../__testUtils__/scenarios';
import { createTestDatabases } from '../../__testUtils__/testDatabases';
import { testAlert } from '../../__testUtils__/alerts';
import { testContext } from '../../__testUtils__/contexts';
import { DatabaseTelemetryStore } from '../../telemetry/DatabaseTelemetryStore';
import {
  parseOtlpLogs,
  parseOtlpMetrics,
  parseOtlpTraces,
} from '../../telemetry/otlp';
import { HeuristicReasoner } from './HeuristicReasoner';

jest.setTimeout(60_000);

const builder = ContextBuilder.create();
const reasoner = new HeuristicReasoner();

/** Reasons over a context and checks what every answer must satisfy. */
async function reasonValid(context: ContextDocument): Promise<HypothesisSet> {
  const answer = await reasoner.reason(context);
  expect(hypothesisSetSchema.parse(answer)).toEqual(answer);
  const known = evidenceIdsOf(context);
  for (const hypothesis of answer.hypotheses) {
    expect(hypothesis.evidenceIds.length).toBeGreaterThan(0);
    for (const id of hypothesis.evidenceIds) {
      expect(known).toContain(id);
    }
  }
  return answer;
}

describe('HeuristicReasoner', () => {
  it('ranks a slow, failing payments dependency first for slow checkouts', async () => {
    const context = builder.build(slowPaymentsScenario());
    const answer = await reasonValid(context);

    expect(answer.insufficientEvidence).toBe(false);
    const [first] = answer.hypotheses;
    expect(first.confidence).toBe('high');
    // The origin first, then the path back to the alerted service.
    expect(first).toMatchObject({
      origin: 'payments',
      kind: 'latency',
      affectedComponents: ['payments', 'checkout'],
    });
    expect(first.probability).toBeGreaterThanOrEqual(0.7);
    expect(first.rootCause).toMatch(
      /^Downstream dependency payments is slow and failing: /,
    );
    expect(first.rootCause).toContain(
      "its calls take 97% of checkout's request time (p95 1.87 s, 88 ms in the baseline)",
    );
    const errorLog = context.logTemplates.find(t => t.level === 'ERROR')!;
    expect(first.evidenceIds).toEqual([
      'dep:payments',
      'op:POST /checkout',
      errorLog.id,
      'metric:http.client.request.duration{server.address=payments}',
      'alert:fp-checkout',
    ]);
    expect(first.diagnosticSteps.join('\n')).toContain(
      'TraceQL { resource.service.name = "checkout" && kind = client && span.peer.service = "payments" }',
    );
    // The error log and the failing operation are explained by payments, not extra hypotheses;
    // the healthy dependencies and the flat CPU make none either.
    expect(answer.hypotheses).toHaveLength(1);
  });

  it('takes logs that name the dependency (or its singular) as its evidence, not a new cause', async () => {
    const context = builder.build(slowPaymentsScenario());
    const timeout = {
      id: 'log:timeout',
      template:
        'payment authorization timed out after <*> ms for order ord-<*>',
      level: 'ERROR',
      count: 8,
      firstSeen: '2026-11-24T10:01:00.000Z',
      lastSeen: '2026-11-24T10:09:00.000Z',
      sample:
        'payment authorization timed out after 2000 ms for order ord-104308',
    };
    const unrelated = {
      ...timeout,
      id: 'log:tls',
      template: 'TLS handshake with <*> failed',
      sample: 'TLS handshake with 10.0.0.1 failed',
    };
    const answer = await reasonValid({
      ...context,
      logTemplates: [timeout, unrelated, ...context.logTemplates],
    });

    expect(answer.hypotheses.map(h => h.evidenceIds[0])).toEqual([
      'dep:payments',
      'log:tls',
    ]);
    expect(answer.hypotheses[0].evidenceIds).toContain('log:timeout');
  });

  it('blames a repeated error log template when nothing downstream is wrong', async () => {
    const context = builder.build(poisonMessageScenario());
    const answer = await reasonValid(context);

    expect(answer.hypotheses).toHaveLength(1);
    const [first] = answer.hypotheses;
    const template = context.logTemplates[0];
    expect(template).toMatchObject({ level: 'ERROR', count: 300 });
    expect(first).toMatchObject({
      confidence: 'high',
      affectedComponents: ['inventory'],
      evidenceIds: [template.id, 'alert:fp-inventory'],
    });
    expect(first.rootCause).toBe(
      `inventory hits a recurring error: "${template.template}" (300 times between 10:00:00Z and 10:14:57Z).`,
    );
    expect(first.diagnosticSteps[0]).toContain(
      'LogQL {service_name="inventory"} |= "Failed to deserialize message at offset"',
    );
  });

  it('finds a saturated connection pool from the metric deltas', async () => {
    const context = builder.build(connectionPoolScenario());
    const answer = await reasonValid(context);

    expect(answer.hypotheses).toHaveLength(1);
    const [first] = answer.hypotheses;
    expect(first.confidence).toBe('medium');
    expect(first.rootCause).toMatch(
      /^orders' connection pool is exhausted: db\.client\.connection\.count rose x2\.4 against the baseline window/,
    );
    expect(first.evidenceIds).toEqual([
      'metric:db.client.connection.count{db.client.connection.pool.name=orders-main,db.client.connection.state=used}',
      'op:POST /orders',
      'alert:fp-orders',
    ]);
    expect(first.diagnosticSteps[0]).toContain('pg_stat_activity');
  });

  it('ranks several anomalies by strength and keeps at most three', async () => {
    const context = builder.build(slowPaymentsScenario());
    const busy: ContextDocument = {
      ...context,
      logTemplates: [
        ...context.logTemplates,
        {
          id: 'log:fatal',
          template: 'worker <*> crashed: out of memory',
          level: 'FATAL',
          count: 7,
          firstSeen: '2026-11-24T10:01:00.000Z',
          lastSeen: '2026-11-24T10:09:00.000Z',
          sample: 'worker 3 crashed: out of memory',
        },
      ],
      metricDeltas: [
        ...context.metricDeltas,
        {
          id: 'metric:process.memory.usage',
          metric: 'process.memory.usage',
          attributes: {},
          baseline: 200,
          current: 900,
          changeRatio: 3.5,
        },
        {
          id: 'metric:jvm.thread.count',
          metric: 'jvm.thread.count',
          attributes: {},
          baseline: 100,
          current: 260,
          changeRatio: 1.6,
        },
      ],
      operations: [
        ...context.operations,
        {
          id: 'op:GET /health',
          operation: 'GET /health',
          spanCount: 10,
          errorCount: 10,
          errorRate: 1,
          p50Ms: 1,
          p95Ms: 1,
          maxMs: 1,
          sampleError: 'unhealthy',
        },
      ],
    };
    const answer = await reasonValid(busy);

    expect(
      answer.hypotheses.map(h => [h.evidenceIds[0], h.kind, h.confidence]),
    ).toEqual([
      ['dep:payments', 'latency', 'high'],
      ['metric:process.memory.usage', 'saturation', 'low'],
      ['metric:jvm.thread.count', 'resource-wait', 'low'],
    ]);
    // Alternatives for one fault: the first keeps its probability, the others share the rest.
    const [p1, p2, p3] = answer.hypotheses.map(h => h.probability!);
    expect(p1).toBeGreaterThanOrEqual(0.9);
    expect(p1 + p2 + p3).toBeLessThanOrEqual(1.001);
    expect(p2).toBeGreaterThan(p3);
    // The FATAL "out of memory" log names the exhausted resource: evidence of the memory
    // hypothesis, not a cause of its own.
    expect(answer.hypotheses[1].evidenceIds).toContain('log:fatal');
    expect(answer.hypotheses[1].rootCause).toMatch(/runs out of memory/);
  });

  it('does not suspect a dependency that takes most of the time but is as fast as in the baseline', async () => {
    const answer = await reasonValid({
      ...testContext(),
      dependencies: [
        {
          id: 'dep:reports-db',
          dependency: 'reports-db',
          callCount: 100,
          errorCount: 0,
          errorRate: 0,
          p95Ms: 88,
          latencyShare: 0.64,
          baselineCallCount: 110,
          baselineErrorCount: 0,
          baselineP95Ms: 86,
        },
      ],
    });
    expect(answer).toEqual({ hypotheses: [], insufficientEvidence: true });
  });

  it('takes a deploy followed by a new error for the cause, and a deploy alone for a weak lead', async () => {
    const rollout = {
      id: 'log:rollout',
      template:
        'Deployment checkout rolled out: 3 of 3 replicas updated to revision <*>',
      level: 'INFO',
      count: 1,
      firstSeen: '2026-11-24T10:04:00.000Z',
      lastSeen: '2026-11-24T10:04:00.000Z',
      sample:
        'Deployment checkout rolled out: 3 of 3 replicas updated to revision 42',
      baselineCount: 0,
    };
    const crash = {
      id: 'log:crash',
      template: 'unhandled error: TypeError: <*> is undefined',
      level: 'ERROR',
      count: 40,
      firstSeen: '2026-11-24T10:04:30.000Z',
      lastSeen: '2026-11-24T10:14:00.000Z',
      sample: 'unhandled error: TypeError: price is undefined',
      baselineCount: 0,
    };
    const broken = await reasonValid({
      ...testContext(),
      logTemplates: [crash, rollout],
    });
    expect(broken.hypotheses).toHaveLength(1);
    expect(broken.hypotheses[0]).toMatchObject({
      confidence: 'high',
      evidenceIds: ['log:rollout', 'log:crash'],
    });
    expect(broken.hypotheses[0].rootCause).toMatch(
      /^A recent change \(deploy\) of checkout broke it: .*revision 42.* a new error began right after it/,
    );

    const quiet = await reasonValid({
      ...testContext(),
      logTemplates: [rollout],
    });
    expect(quiet.hypotheses.map(h => [h.confidence, h.evidenceIds])).toEqual([
      ['low', ['log:rollout']],
    ]);
    // An error template that was as frequent before the deploy is not blamed on it.
    const old = await reasonValid({
      ...testContext(),
      logTemplates: [{ ...crash, baselineCount: 38 }, rollout],
    });
    expect(old.hypotheses.map(h => h.confidence)).toEqual(['low']);
  });

  it('reads how a failing dependency fails from its errors', async () => {
    const dependency = {
      id: 'dep:carrier-api',
      dependency: 'carrier-api',
      callCount: 400,
      errorCount: 150,
      errorRate: 0.375,
      p95Ms: 30,
      latencyShare: 0.2,
      errorShare: 1,
      baselineCallCount: 400,
      baselineErrorCount: 0,
      baselineP95Ms: 150,
    };
    const answer = await reasonValid({
      ...testContext(),
      dependencies: [dependency],
      logTemplates: [
        {
          id: 'log:429',
          template: 'carrier-api answered 429 Too Many Requests for quote <*>',
          level: 'WARN',
          count: 150,
          firstSeen: '2026-11-24T10:04:00.000Z',
          lastSeen: '2026-11-24T10:14:00.000Z',
          sample: 'carrier-api answered 429 Too Many Requests for quote 7',
          baselineCount: 0,
        },
      ],
    });
    expect(answer.hypotheses).toHaveLength(1);
    expect(answer.hypotheses[0].rootCause).toMatch(
      /^carrier-api rate-limits checkout: calls are rejected with 429 Too Many Requests/,
    );
    expect(answer.hypotheses[0].evidenceIds).toEqual([
      'dep:carrier-api',
      'log:429',
    ]);
  });

  it('answers insufficient evidence for an empty context', async () => {
    await expect(reasonValid(testContext())).resolves.toEqual({
      hypotheses: [],
      insufficientEvidence: true,
    });
  });

  it('answers insufficient evidence when the telemetry looks like its baseline', async () => {
    const answer = await reasonValid(builder.build(quietScenario()));
    expect(answer).toEqual({ hypotheses: [], insufficientEvidence: true });
  });

  it('is deterministic', async () => {
    const context = builder.build(slowPaymentsScenario());
    expect(JSON.stringify(await reasoner.reason(context))).toBe(
      JSON.stringify(await reasoner.reason(context)),
    );
    expect(reasoner.name).toBe('heuristic');
  });
});

describe('HeuristicReasoner on the checkout-payments-latency example', () => {
  const databases = createTestDatabases();

  it('finds payments through the OTLP store and the context builder', async () => {
    const nowMs = Date.parse('2026-11-24T10:30:00.000Z');
    const { scenario, telemetry } = loadScenario(
      'checkout-payments-latency',
      nowMs,
    );
    const knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    const store = DatabaseTelemetryStore.create({ knex });
    await store.ingest({
      spans: parseOtlpTraces(telemetry.traces),
      metrics: parseOtlpMetrics(telemetry.metrics),
      logs: parseOtlpLogs(telemetry.logs),
    });

    // The windows enrichment uses: 15 minutes before the alert up to now, and a baseline as long.
    const alertStartMs = nowMs - 2 * 60_000;
    const window = { fromMs: alertStartMs - 15 * 60_000, toMs: nowMs };
    const baselineWindow = {
      fromMs: 2 * window.fromMs - window.toMs,
      toMs: window.fromMs,
    };
    const fetch = (range: { fromMs: number; toMs: number }) =>
      store.fetch(
        { serviceName: 'checkout', ...range, limit: 5_000 },
        { signal: new AbortController().signal },
      );
    const context = builder.build({
      incidentId: 'inc-example',
      serviceName: 'checkout',
      alerts: [
        {
          ...testAlert({ startsAt: new Date(alertStartMs).toISOString() }),
          id: 'a1',
        },
      ],
      window,
      baselineWindow,
      current: await fetch(window),
      baseline: await fetch(baselineWindow),
      missing: [],
      truncated: [],
    });
    const answer = await reasonValid(context);

    const [first] = answer.hypotheses;
    expect(first.evidenceIds[0]).toBe('dep:payments');
    expect(first.confidence).toBe('high');
    expect(first.affectedComponents).toContain(scenario.rootCause.component);
    expect(first.rootCause).toContain(scenario.expected.topHypothesisMentions);
    for (const ruledOut of scenario.rootCause.ruledOut as string[]) {
      for (const hypothesis of answer.hypotheses) {
        expect(hypothesis.affectedComponents).not.toContain(ruledOut);
      }
    }
    // The bearer token checkout logs while retrying is in the window; redaction caught it.
    expect(context.redactions).toBeGreaterThan(0);
    expect(JSON.stringify(context)).not.toMatch(/eyJhbGciOi/);
  });
});
