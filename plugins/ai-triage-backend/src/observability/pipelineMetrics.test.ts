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
import { parseExposition, Sample } from './__testUtils__/exposition';

jest.setTimeout(60_000);

let exporter: PrometheusExporter;
let provider: MeterProvider;
let metricsUrl: string;

beforeAll(async () => {
  // The exporter instrumentation.ts starts, on a free loopback port.
  await new Promise<void>((resolve, reject) => {
    exporter = new PrometheusExporter({ host: '127.0.0.1', port: 0 }, error =>
      error ? reject(error) : resolve(),
    );
  });
  const { port } = (
    exporter as unknown as { _server: { address(): { port: number } } }
  )._server.address();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
});

afterAll(async () => {
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
      config: { aiTriage: { enrichment: { maxRecordsPerSignal: 5 } } },
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
        ai_triage_reasoner_kind: 'heuristic',
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
  });
});
