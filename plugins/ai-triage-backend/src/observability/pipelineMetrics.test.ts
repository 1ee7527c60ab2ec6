import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import {
  deliverScenario,
  startAiTriageBackend,
  waitFor,
} from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import {
  prometheusInstalled,
  startPrometheusScraping,
} from '../__testUtils__/prometheus';
import { FakeChatCompletionsServer } from '../reasoning/__testUtils__/FakeChatCompletionsServer';
import { parseExposition, Sample } from './__testUtils__/exposition';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

jest.setTimeout(60_000);

let exporter: PrometheusExporter;
let provider: MeterProvider;
let metricsUrl: string;
let metricsHost: string;
let llm: FakeChatCompletionsServer;

beforeAll(async () => {
  // The exporter instrumentation.ts starts, on a free loopback port.
  await new Promise<void>((done, fail) => {
    exporter = new PrometheusExporter({ host: '127.0.0.1', port: 0 }, error =>
      error ? fail(error) : done(),
    );
  });
  const { port } = (
    exporter as unknown as { _server: { address(): { port: number } } }
  )._server.address();
  metricsHost = `127.0.0.1:${port}`;
  metricsUrl = `http://${metricsHost}/metrics`;
  // An LLM endpoint that answers every call with a server error: the heuristic answers in its
  // place (degraded), and the LLM metrics are recorded.
  llm = await FakeChatCompletionsServer.start();
  provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
});

afterAll(async () => {
  await llm.stop();
  metrics.disable();
  await provider.shutdown();
});

async function scrape(): Promise<Sample[]> {
  const res = await fetch(metricsUrl);
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

const sum = (samples: Sample[], name: string, labels: object = {}) =>
  samples
    .filter(
      s =>
        s.name === name &&
        Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    )
    .reduce((total, s) => total + s.value, 0);

describe('pipeline metrics', () => {
  const databases = createTestDatabases();

  it('are served on the metrics endpoint after a triage, with counts', async () => {
    const knex = await databases.init('SQLITE_3');
    const server = await startAiTriageBackend({
      knex,
      // Few records per signal, so the context reports truncated signals.
      config: {
        aiTriage: {
          enrichment: { maxRecordsPerSignal: 5 },
          reasoning: {
            llm: { baseUrl: llm.baseUrl, model: 'triage-model', maxRetries: 0 },
          },
        },
      },
    });
    const incidentId = await deliverScenario(server);
    const rejected = await request(server)
      .post('/api/ai-triage/webhooks/alertmanager')
      .set('authorization', mockCredentials.service.header())
      .send({ alerts: 'not a list' });
    expect(rejected.status).toBe(400);
    const unsupported = await request(server)
      .post('/api/ai-triage/webhooks/grafana')
      .set('authorization', mockCredentials.service.header())
      .set('content-type', 'text/plain')
      .send('hello');
    expect(unsupported.status).toBe(415);
    await waitFor('the triage', async () =>
      (
        await knex('incidents').where('id', incidentId).first()
      )?.triage_state === 'triaged'
        ? true
        : undefined,
    );

    const samples = await scrape();
    // Every histogram, with its count, in seconds (the exporter adds no unit suffix).
    const source = { ai_triage_alert_source: 'alertmanager' };
    expect(
      sum(samples, 'ai_triage_intake_duration_count', {
        ...source,
        ai_triage_intake_outcome: 'accepted',
      }),
    ).toBe(1);
    for (const type of ['enrich', 'reason']) {
      expect(
        sum(samples, 'ai_triage_job_duration_count', {
          job_type: type,
          job_outcome: 'done',
        }),
      ).toBe(1);
      expect(
        sum(samples, 'ai_triage_queue_wait_count', { job_type: type }),
      ).toBe(1);
    }
    expect(
      sum(samples, 'ai_triage_triage_duration_count', {
        ai_triage_triage_outcome: 'triaged',
        ai_triage_reasoner_kind: 'llm',
      }),
    ).toBe(1);
    // The SLO threshold (30 s for the heuristic) is a bucket boundary.
    expect(
      samples.some(
        s =>
          s.name === 'ai_triage_triage_duration_bucket' && s.labels.le === '30',
      ),
    ).toBe(true);

    // Counters: deliveries and alerts by source and outcome, rejections with their reason.
    expect(
      sum(samples, 'ai_triage_intake_deliveries_total', {
        ...source,
        ai_triage_intake_outcome: 'accepted',
      }),
    ).toBe(1);
    expect(
      sum(samples, 'ai_triage_intake_alerts_total', {
        ...source,
        ai_triage_intake_outcome: 'accepted',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sum(samples, 'ai_triage_intake_deliveries_total', {
        ...source,
        ai_triage_intake_outcome: 'rejected',
        ai_triage_intake_rejection_reason: 'invalid_payload',
        http_response_status_code: '400',
      }),
    ).toBe(1);
    expect(
      sum(samples, 'ai_triage_intake_deliveries_total', {
        ai_triage_alert_source: 'grafana',
        ai_triage_intake_rejection_reason: 'unsupported_media_type',
      }),
    ).toBe(1);
    expect(sum(samples, 'ai_triage_jobs_total', { job_outcome: 'done' })).toBe(
      2,
    );
    expect(
      sum(samples, 'ai_triage_context_truncations_total'),
    ).toBeGreaterThanOrEqual(1);
    // The scenario's logs hold tokens that the enrichment redacts.
    expect(
      sum(samples, 'ai_triage_context_redactions_total', {
        ai_triage_redaction_kind: 'jwt',
      }),
    ).toBeGreaterThanOrEqual(1);
    // The reason job queued by the enrichment wakes this process's reason loop at once.
    const reasonWait = samples.find(
      s =>
        s.name === 'ai_triage_queue_wait_sum' && s.labels.job_type === 'reason',
    );
    expect(reasonWait?.value).toBeLessThan(0.5);
    // The queue gauges are there too.
    expect(samples.some(s => s.name === 'ai_triage_queue_depth')).toBe(true);

    await dashboardAndRulesAgainst(samples);
  });
});

const repoRoot = resolve(__dirname, '../../../..');
const rulesFile = join(repoRoot, 'k8s/prometheus/ai-triage.rules.yaml');
const dashboardFile = join(repoRoot, 'k8s/grafana/ai-triage-pipeline.json');

/** Names of metrics a PromQL expression reads (identifiers before `{`, `[` or `)`). */
function metricNamesIn(expr: string): string[] {
  const withoutLabels = expr
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(by|without)\s*\([^)]*\)/g, '');
  const names = withoutLabels.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*[{[)])/g);
  const functions = new Set(['vector', 'absent', 'rate', 'increase']);
  return (names ?? []).filter(n => !functions.has(n));
}

/**
 * The dashboard's and the rules' queries read metrics the plugin emits (or the rules record),
 * and each dashboard query returns data from a real Prometheus that scrapes this process's
 * metrics endpoint and evaluates the rule file.
 */
async function dashboardAndRulesAgainst(samples: Sample[]) {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8'));
  const panels = (dashboard.panels as any[]).filter(p => p.type !== 'row');
  const exprs: string[] = panels.flatMap(p =>
    p.targets.map((t: any) => t.expr),
  );
  const rulesText = readFileSync(rulesFile, 'utf8');
  const recorded = new Set(
    [...rulesText.matchAll(/- record: (\S+)/g)].map(m => m[1]),
  );
  const emitted = new Set(samples.map(s => s.name));
  const ruleExprs = [
    ...rulesText.matchAll(
      /expr: (?:\|\n)?([\s\S]*?)(?=\n\s*(?:for|labels|- record|- alert|- name):|\n\S|$)/g,
    ),
  ].map(m => m[1]);
  for (const expr of [...exprs, ...ruleExprs]) {
    for (const name of metricNamesIn(expr)) {
      expect({
        expr,
        name,
        known: emitted.has(name) || recorded.has(name),
      }).toEqual({
        expr,
        name,
        known: true,
      });
    }
  }
  for (const panel of panels) {
    expect(panel).toMatchObject({
      type: 'timeseries',
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: {
        h: expect.any(Number),
        w: expect.any(Number),
        x: expect.any(Number),
        y: expect.any(Number),
      },
    });
    expect(panel.targets.length).toBeGreaterThan(0);
  }

  if (!prometheusInstalled()) {
    return;
  }
  const prometheus = await startPrometheusScraping({
    target: metricsHost,
    ruleFiles: [rulesFile],
  });
  try {
    const query = async (expr: string) => {
      const res = await fetch(
        `${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { result: unknown[] };
      };
      return {
        expr,
        status: body.status,
        error: body.error,
        results: body.data?.result.length ?? 0,
      };
    };
    const firstValue = async (expr: string) => {
      const res = await fetch(
        `${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      const body = (await res.json()) as {
        data?: { result: Array<{ value: [number, string] }> };
      };
      const first = body.data?.result[0];
      return first ? Number(first.value[1]) : undefined;
    };
    // Three scrapes, so that every rate has two samples, and the rules evaluated on them.
    await waitFor(
      'three scrapes and a rule evaluation',
      async () =>
        ((await firstValue('count_over_time(up[1m])')) ?? 0) >= 3 &&
        (await query('ai_triage:triage_slo_errors:ratio_rate5m')).results > 0
          ? true
          : undefined,
      20_000,
    );
    for (const expr of exprs) {
      const answer = await query(expr.replace(/\$__rate_interval/g, '1m'));
      expect({ ...answer, expr }).toMatchObject({ expr, status: 'success' });
      expect({ expr, hasData: answer.results > 0 }).toEqual({
        expr,
        hasData: true,
      });
    }
  } finally {
    await prometheus.stop();
  }
}
