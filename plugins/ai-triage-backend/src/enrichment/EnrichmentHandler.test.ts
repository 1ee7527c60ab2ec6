import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import request from 'supertest';
import { aiTriagePlugin } from '../plugin';
import { startFakeHttpServer } from '../__testUtils__/fakeHttpServer';
import { loadScenario } from '../__testUtils__/scenarios';
import { createTestDatabases } from '../__testUtils__/testDatabases';

jest.setTimeout(60_000);

const asService = mockCredentials.service.header();
const asUser = mockCredentials.user.header();

/**
 * Provider selection and partial contexts, through the plugin: the entity's annotation chooses
 * the providers; a Loki that answers too late and a Tempo that fails leave a context built from
 * the embedded store alone, whose `missing` names what each would have given and why.
 */
describe('EnrichmentHandler with failing telemetry providers', () => {
  const databases = createTestDatabases();

  it('builds a partial context naming the provider that timed out, the one that failed and an unknown name', async () => {
    const slowLoki = await startFakeHttpServer(() => ({
      delayMs: 10_000,
      body: { status: 'success', data: { resultType: 'streams', result: [] } },
    }));
    const brokenTempo = await startFakeHttpServer(() => ({
      status: 503,
      body: 'too many outstanding requests',
    }));
    const unusedJaeger = await startFakeHttpServer(() => ({
      body: { data: [], errors: null },
    }));
    try {
      const checkout = {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'checkout',
          namespace: 'default',
          annotations: {
            'opentelemetry.io/service-name': 'checkout',
            'ai-triage.io/telemetry-providers':
              'embedded, loki-eu, tempo, prometheus-typo',
          },
        },
        spec: {
          type: 'service',
          lifecycle: 'production',
          owner: 'team-checkout',
        },
      };
      const { server } = await startTestBackend({
        features: [
          aiTriagePlugin,
          catalogServiceMock.factory({ entities: [checkout] }),
          mockServices.database.factory({
            knex: await databases.init('SQLITE_3'),
          }),
          mockServices.rootConfig.factory({
            data: {
              aiTriage: {
                enrichment: { providerTimeoutSeconds: 5 },
                telemetry: {
                  providers: [
                    {
                      type: 'loki',
                      name: 'loki-eu',
                      baseUrl: slowLoki.url,
                      timeoutSeconds: 0.5,
                    },
                    { type: 'tempo', baseUrl: brokenTempo.url },
                    { type: 'jaeger', baseUrl: unusedJaeger.url },
                  ],
                },
              },
            },
          }),
        ],
      });

      const nowMs = Date.now();
      const { alert, telemetry } = loadScenario(
        'checkout-payments-latency',
        nowMs,
      );
      for (const signal of ['traces', 'metrics', 'logs'] as const) {
        const res = await request(server)
          .post(`/api/ai-triage/otlp/v1/${signal}`)
          .set('authorization', asService)
          .send(telemetry[signal] as object);
        expect(res.status).toBe(200);
      }
      const startsAt = new Date(nowMs - 2 * 60_000).toISOString();
      const delivery = await request(server)
        .post('/api/ai-triage/webhooks/alertmanager')
        .set('authorization', asService)
        .send({
          ...alert,
          alerts: alert.alerts.map((a: object) => ({ ...a, startsAt })),
        });
      expect(delivery.status).toBe(202);
      const [incidentId] = delivery.body.incidentIds;

      let detail: IncidentDetailResponse | undefined;
      const deadline = Date.now() + 30_000;
      while (!detail?.context && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 100));
        const res = await request(server)
          .get(`/api/ai-triage/incidents/${incidentId}`)
          .set('authorization', asUser);
        detail = res.body as IncidentDetailResponse;
      }
      const context = detail!.context!;
      expect(context).toBeTruthy();

      // The embedded store answered: the slow payments dependency is in the context.
      expect(context.dependencies.map(d => d.dependency)).toContain('payments');
      // What is missing, and why, for both windows.
      expect(context.missing).toEqual(
        expect.arrayContaining([
          "prometheus-typo: named by the entity's ai-triage.io/telemetry-providers annotation, but no telemetry provider has that name",
          'loki-eu (logs): timed out after 0.5 s',
          'loki-eu (logs): timed out after 0.5 s (baseline window)',
          expect.stringMatching(
            /^tempo \(spans\): GET \/api\/search answered 503 Service Unavailable: too many outstanding requests$/,
          ),
        ]),
      );
      expect(context.missing).toHaveLength(5);
      // Loki was asked (and gave up on); Jaeger, not named by the entity, was never asked.
      expect(slowLoki.requests.length).toBe(2);
      expect(slowLoki.requests[0].query.get('query')).toBe(
        '{service_name="checkout"}',
      );
      expect(unusedJaeger.requests).toEqual([]);
    } finally {
      await Promise.all([
        slowLoki.close(),
        brokenTempo.close(),
        unusedJaeger.close(),
      ]);
    }
  });
});
