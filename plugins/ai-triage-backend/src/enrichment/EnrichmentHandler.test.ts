import { mockCredentials } from '@backstage/backend-test-utils';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import request from 'supertest';
import { startFakeHttpServer } from '../__testUtils__/fakeHttpServer';
import {
  deliverScenario,
  startAiTriageBackend,
  waitFor,
} from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';

jest.setTimeout(60_000);

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
      const server = await startAiTriageBackend({
        knex: await databases.init('SQLITE_3'),
        entities: [checkout],
        config: {
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
      });

      const incidentId = await deliverScenario(server);
      const context = await waitFor('the context document', async () => {
        const res = await request(server)
          .get(`/api/ai-triage/incidents/${incidentId}`)
          .set('authorization', asUser);
        return (res.body as IncidentDetailResponse).context ?? undefined;
      });

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
