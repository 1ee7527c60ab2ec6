import { mockCredentials } from '@backstage/backend-test-utils';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import { Server } from 'node:http';
import request from 'supertest';
import {
  callChainTraces,
  sendAlertStorm,
  sendTraces,
} from '../__testUtils__/callChainTelemetry';
import { serviceComponent } from '../__testUtils__/entities';
import { startAiTriageBackend, waitFor } from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { FakeChatCompletionsServer } from '../reasoning/__testUtils__/FakeChatCompletionsServer';

jest.setTimeout(90_000);

const asUser = mockCredentials.user.header();
const asService = mockCredentials.service.header();
const CHAIN = ['checkout', 'payments'];

/** An OpenAI-compatible endpoint answering one hypothesis about the context's service, citing its first alert. */
async function startLlm(): Promise<FakeChatCompletionsServer> {
  const llm = await FakeChatCompletionsServer.start();
  llm.replyAlways(req => {
    const prompt: string = req.body.messages[1].content;
    const service = /of service "([^"]+)"/.exec(prompt)![1];
    const alertId = /"id":"(alert:[^"]+)"/.exec(prompt)![1];
    return {
      content: JSON.stringify({
        hypotheses: [
          {
            rootCause: `${service} fails on its own`,
            affectedComponents: [service],
            probability: 0.5,
            kind: 'errors',
            origin: service,
            reasoning: `The context of ${service} shows it.`,
            diagnosticSteps: [`Read the logs of ${service}`],
            evidenceIds: [alertId],
          },
        ],
        insufficientEvidence: false,
      }),
    };
  });
  return llm;
}

async function detail(
  server: Server,
  id: string,
): Promise<IncidentDetailResponse> {
  const res = await request(server)
    .get(`/api/ai-triage/incidents/${id}`)
    .set('authorization', asUser);
  expect(res.status).toBe(200);
  return res.body;
}

/** Waits until no triage job is queued (delayed ones too) or running. */
async function idle(server: Server) {
  await waitFor('the pipeline to be idle', async () => {
    const stats = await request(server)
      .get('/api/ai-triage/jobs/stats')
      .set('authorization', asUser);
    const busy = stats.body.counts.some(
      (c: { type: string; status: string; count: number }) =>
        c.type !== 'deliver' && c.status !== 'dead' && c.count > 0,
    );
    return busy ? undefined : true;
  });
}

async function count(knex: Knex, table: string, where: object = {}) {
  const [row] = await knex(table).where(where).count({ n: '*' });
  return Number(row.n);
}

/** OTLP/JSON logs of one service: `n` error lines, the last a second ago. */
function errorLogs(service: string, n: number) {
  const nowMs = Date.now();
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: service } },
          ],
        },
        scopeLogs: [
          {
            logRecords: Array.from({ length: n }, (_, i) => ({
              timeUnixNano: `${nowMs - 1_000 - i * 1_000}000000`,
              severityNumber: 17,
              severityText: 'ERROR',
              body: { stringValue: 'payment authorization failed' },
            })),
          },
        ],
      },
    ],
  };
}

describe('re-triage when the evidence arrives', () => {
  const databases = createTestDatabases();
  let llm: FakeChatCompletionsServer;

  beforeEach(async () => {
    llm = await startLlm();
  });
  afterEach(async () => {
    await llm.stop();
  });

  async function start(knex: Knex, retriage: object = {}) {
    return startAiTriageBackend({
      knex,
      entities: CHAIN.map(s => serviceComponent(s, { serviceName: s })),
      config: {
        aiTriage: {
          retriage: {
            debounceSeconds: 0.3,
            maxPerIncident: 2,
            // Only absences here; the settled window has a test of its own.
            settleSeconds: 0,
            ...retriage,
          },
          reasoning: {
            llm: { baseUrl: llm.baseUrl, model: 'test-model', maxRetries: 0 },
          },
        },
      },
    });
  }

  it.each(databases.eachSupportedId())(
    'triages again, through the queue, when telemetry the triage lacked arrives; bounded per incident, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await start(knex);
      // The alert comes before any telemetry of the incident window.
      const { checkout } = await sendAlertStorm(server, ['checkout']);
      await idle(server);
      expect(await count(knex, 'triage_runs')).toBe(1);
      const first = await detail(server, checkout);
      expect(first.context!.localization?.edges ?? []).toEqual([]);
      const watched = await knex('evidence_watches')
        .where('incident_id', checkout)
        .orderBy(['service_name', 'signal'])
        .select('service_name', 'signal');
      expect(watched).toEqual([
        { service_name: 'checkout', signal: 'logs' },
        { service_name: 'checkout', signal: 'metrics' },
        { service_name: 'checkout', signal: 'spans' },
        // The catalog knows no dependsOn here, and no span named a peer yet.
      ]);

      // Spans arrive: one delayed enrich job (a burst of exports counts once), a second run
      // whose context has the call to payments.
      const nowMs = Date.now();
      await sendTraces(server, callChainTraces(CHAIN, { nowMs }));
      await sendTraces(server, callChainTraces(CHAIN, { nowMs: nowMs - 1 }));
      const [job] = await knex('jobs')
        .where({ incident_id: checkout, type: 'enrich' })
        .whereNotNull('payload');
      expect(JSON.parse(job.payload)).toEqual({ trigger: 'evidence' });
      // Delayed by the debounce (0.3 s), not run at once.
      const ms = (value: Date | number | string) => new Date(value).getTime();
      expect(ms(job.run_after) - ms(job.created_at)).toBeGreaterThanOrEqual(
        250,
      );
      await idle(server);
      expect(await count(knex, 'jobs', { type: 'enrich' })).toBe(2);
      expect(await count(knex, 'triage_runs')).toBe(2);
      expect(llm.requests).toHaveLength(2);
      const second = await detail(server, checkout);
      expect(second.incident.triageState).toBe('triaged');
      expect(second.context!.localization!.edges).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ from: 'checkout', to: 'payments' }),
        ]),
      );
      // The spans are in; what it still lacks is the alerted service's logs and metrics.
      expect(
        await knex('evidence_watches')
          .where('incident_id', checkout)
          .orderBy('signal')
          .pluck('signal'),
      ).toEqual(['logs', 'metrics']);

      // Spans again change nothing: the context has them.
      await sendTraces(
        server,
        callChainTraces(CHAIN, { nowMs: Date.now(), healthyMinutes: 0 }),
      );
      await idle(server);
      expect(await count(knex, 'triage_runs')).toBe(2);

      // Logs arrive: the second (and last) automatic re-triage.
      const logs = await request(server)
        .post('/api/ai-triage/otlp/v1/logs')
        .set('authorization', asService)
        .send(errorLogs('checkout', 5));
      expect(logs.status).toBe(200);
      await idle(server);
      expect(await count(knex, 'triage_runs')).toBe(3);
      expect(
        (await knex('incidents').where('id', checkout).first()).auto_retriages,
      ).toBe(2);

      // The limit is reached: what it lacked arriving now queues nothing.
      const metrics = await request(server)
        .post('/api/ai-triage/otlp/v1/metrics')
        .set('authorization', asService)
        .send({
          resourceMetrics: [
            {
              resource: {
                attributes: [
                  { key: 'service.name', value: { stringValue: 'checkout' } },
                ],
              },
              scopeMetrics: [
                {
                  metrics: [
                    {
                      name: 'process.cpu.utilization',
                      gauge: {
                        dataPoints: [
                          {
                            timeUnixNano: `${Date.now() - 1_000}000000`,
                            asDouble: 0.5,
                          },
                        ],
                      },
                    },
                  ],
                },
              ],
            },
          ],
        });
      expect(metrics.status).toBe(200);
      await idle(server);
      expect(await count(knex, 'triage_runs')).toBe(3);
      expect(
        await count(knex, 'evidence_watches', { incident_id: checkout }),
      ).toBe(0);
      expect(llm.requests).toHaveLength(3);
    },
  );

  it.each(databases.eachSupportedId())(
    'triages again once the alerted service has sent the minute after the onset, not before, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await start(knex, { settleSeconds: 60 });
      const nowMs = Date.now();
      // The fault started two and a half minutes ago; the telemetry read ends 20 s into it.
      await sendTraces(
        server,
        callChainTraces(CHAIN, {
          nowMs: nowMs - 130_000,
          faultMinutes: 20 / 60,
        }),
      );
      const { checkout } = await sendAlertStorm(server, ['checkout'], {
        startedAgoMs: 150_000,
      });
      await idle(server);
      const first = await detail(server, checkout);
      const onsetMs = Date.parse(first.context!.window.from);
      const settledMs = onsetMs + 60_000;
      expect(settledMs).toBeGreaterThan(nowMs - 130_000);
      const watch = await knex('evidence_watches')
        .where({
          incident_id: checkout,
          service_name: 'checkout',
          signal: 'spans',
        })
        .first('since_ms');
      expect(Number(watch.since_ms)).toBe(settledMs);

      // Spans from before the settled minute are not it.
      await sendTraces(
        server,
        callChainTraces(CHAIN, {
          nowMs: settledMs - 1_000,
          healthyMinutes: 0,
          faultMinutes: 0.25,
        }),
      );
      await idle(server);
      expect(await count(knex, 'triage_runs')).toBe(1);

      // The alerted service's spans from the settled minute on: one automatic re-triage, which
      // reads them and waits for the minute no longer.
      await sendTraces(
        server,
        callChainTraces(CHAIN, {
          nowMs: settledMs + 11_000,
          healthyMinutes: 0,
          faultMinutes: 0.1,
        }),
      );
      await idle(server);
      expect(await count(knex, 'triage_runs')).toBe(2);
      const [job] = await knex('jobs')
        .where({ incident_id: checkout, type: 'enrich' })
        .whereNotNull('payload');
      expect(JSON.parse(job.payload)).toEqual({ trigger: 'evidence' });
      expect(
        await count(knex, 'evidence_watches', {
          incident_id: checkout,
          service_name: 'checkout',
          signal: 'spans',
        }),
      ).toBe(0);
    },
  );

  it.each(databases.eachSupportedId())(
    'a storm triaged before its telemetry: the arriving spans group it, and only the lead is triaged again, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const shop = ['frontend', 'checkout', 'payments', 'ledger'];
      const server = await startAiTriageBackend({
        knex,
        entities: shop.map(s => serviceComponent(s, { serviceName: s })),
        config: {
          aiTriage: {
            workers: { concurrency: 4 },
            retriage: { debounceSeconds: 0.3 },
            reasoning: {
              llm: { baseUrl: llm.baseUrl, model: 'test-model', maxRetries: 0 },
            },
          },
        },
      });
      // Four alerts, no telemetry yet: nothing connects them, each is triaged alone.
      const incidents = await sendAlertStorm(server, shop);
      await idle(server);
      expect(await count(knex, 'triage_runs')).toBe(4);
      expect(await count(knex, 'fault_groups')).toBe(0);

      // The spans arrive: every incident lacked them and is re-triaged, but the first to run
      // groups the storm by its calls; only the lead (ledger, the sink) is enriched and
      // reasoned over again.
      await sendTraces(server, callChainTraces(shop, { nowMs: Date.now() }));
      await idle(server);
      expect(await count(knex, 'jobs', { type: 'reason' })).toBe(5);
      expect(llm.requests).toHaveLength(5);
      const lead = await detail(server, incidents.ledger);
      expect(lead.incident).toMatchObject({
        probableOrigin: 'ledger',
        faultGroupLead: true,
        faultGroupSize: 4,
      });
      const member = await detail(server, incidents.frontend);
      expect(member.hypotheses.map(h => h.id)).toEqual(
        lead.hypotheses.map(h => h.id),
      );
      // Members watch nothing: the lead's triage is the one shown.
      expect(
        await knex('evidence_watches')
          .whereNot('incident_id', incidents.ledger)
          .count({ n: '*' })
          .then(([row]) => Number(row.n)),
      ).toBe(0);
    },
  );

  it.each(databases.eachSupportedId())(
    'never re-triages a reviewed incident on its own, and keeps its reviews, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await start(knex);
      const { checkout } = await sendAlertStorm(server, ['checkout']);
      await idle(server);
      const [hypothesis] = (await detail(server, checkout)).hypotheses;
      const review = await request(server)
        .post(
          `/api/ai-triage/incidents/${checkout}/hypotheses/${hypothesis.id}/reviews`,
        )
        .set('authorization', asUser)
        .send({ decision: 'rejected', comment: 'not checkout' });
      expect(review.status).toBe(201);

      await sendTraces(server, callChainTraces(CHAIN, { nowMs: Date.now() }));
      await idle(server);
      expect(await count(knex, 'jobs', { type: 'enrich' })).toBe(1);
      expect(await count(knex, 'triage_runs')).toBe(1);
      expect(await count(knex, 'evidence_watches')).toBe(0);
      const shown = await detail(server, checkout);
      expect(shown.hypotheses[0].review).toMatchObject({
        decision: 'rejected',
      });

      // A person may still ask: the re-triage action works, and the review stays stored.
      const retriage = await request(server)
        .post(`/api/ai-triage/incidents/${checkout}/retriage`)
        .set('authorization', asUser);
      expect(retriage.status).toBe(202);
      await idle(server);
      expect(await count(knex, 'triage_runs')).toBe(2);
      expect(await count(knex, 'reviews', { incident_id: checkout })).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    "reads a resolved incident up to its alerts' end, or the settled minute past its first alert, %p",
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await start(knex, { settleSeconds: 60 });
      const nowMs = Date.now();
      await sendTraces(server, callChainTraces(CHAIN, { nowMs }));
      const resolveAt = async (startedAgoMs: number, endedAgoMs: number) => {
        const res = await request(server)
          .post('/api/ai-triage/webhooks/alertmanager')
          .set('authorization', asService)
          .send({
            version: '4',
            status: 'resolved',
            receiver: 'ai-triage',
            groupKey: '{}:{alertname="HighErrorRate"}',
            alerts: [
              {
                status: 'resolved',
                labels: { alertname: 'HighErrorRate', service: 'checkout' },
                annotations: { summary: 'checkout: error rate above 5%' },
                startsAt: new Date(nowMs - startedAgoMs).toISOString(),
                endsAt: new Date(nowMs - endedAgoMs).toISOString(),
                fingerprint: 'HighErrorRate-checkout',
              },
            ],
          });
        expect(res.status).toBe(202);
      };
      const retriagedWindowEnd = async (id: string) => {
        const res = await request(server)
          .post(`/api/ai-triage/incidents/${id}/retriage`)
          .set('authorization', asUser);
        expect(res.status).toBe(202);
        await idle(server);
        return Date.parse((await detail(server, id)).context!.window.to);
      };
      const { checkout } = await sendAlertStorm(server, ['checkout'], {
        startedAgoMs: 300_000,
      });
      await idle(server);
      // Open, it is read up to now (the minute's end).
      expect(
        Date.parse((await detail(server, checkout)).context!.window.to),
      ).toBeGreaterThanOrEqual(nowMs);
      // Resolved two minutes after it fired: read up to the end, not the minutes since.
      await resolveAt(300_000, 180_000);
      expect(await retriagedWindowEnd(checkout)).toBe(nowMs - 180_000);
      // Resolved 20 s after it fired: read up to the settled minute past the first alert.
      await resolveAt(300_000, 280_000);
      expect(await retriagedWindowEnd(checkout)).toBe(nowMs - 240_000);
    },
  );

  it.each(databases.eachSupportedId())(
    'is off with aiTriage.retriage.enabled false, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await start(knex, { enabled: false });
      await sendAlertStorm(server, ['checkout']);
      await idle(server);
      await sendTraces(server, callChainTraces(CHAIN, { nowMs: Date.now() }));
      await idle(server);
      expect(await count(knex, 'triage_runs')).toBe(1);
      expect(await count(knex, 'evidence_watches')).toBe(0);
    },
  );
});
