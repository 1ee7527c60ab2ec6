import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  IncidentDetailResponse,
  IncidentListResponse,
} from '@ai-triage/plugin-ai-triage-common';
import { BackendFeature } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import request from 'supertest';
import { aiTriagePlugin } from './plugin';
import { loadScenario } from './__testUtils__/scenarios';
import { createTestDatabases } from './__testUtils__/testDatabases';

jest.setTimeout(60_000);

const checkout = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'checkout',
    namespace: 'default',
    annotations: { 'opentelemetry.io/service-name': 'checkout' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-checkout' },
};

const asService = mockCredentials.service.header();
const asUser = mockCredentials.user.header();

/** The plugin on a test backend with the checkout entity in the catalog and the given database. */
async function startAiTriage(knex: Knex, ...extraFeatures: BackendFeature[]) {
  const { server } = await startTestBackend({
    features: [
      aiTriagePlugin,
      catalogServiceMock.factory({ entities: [checkout] }),
      mockServices.database.factory({ knex }),
      ...extraFeatures,
    ],
  });
  return server;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

describe('aiTriagePlugin', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'drives an alert from the webhook to a stored review, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await startAiTriage(knex);
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

      const listed = await request(server)
        .get('/api/ai-triage/incidents')
        .query({ entityRef: 'component:default/checkout' })
        .set('authorization', asUser);
      expect(listed.status).toBe(200);
      expect(
        (listed.body as IncidentListResponse).items.map(i => i.id),
      ).toEqual([incidentId]);

      const detail = await waitFor('hypotheses', async () => {
        const res = await request(server)
          .get(`/api/ai-triage/incidents/${incidentId}`)
          .set('authorization', asUser);
        const body = res.body as IncidentDetailResponse;
        return body.incident?.triageState === 'triaged' ? body : undefined;
      });
      expect(detail.incident).toMatchObject({
        entityRef: 'component:default/checkout',
        serviceName: 'checkout',
        status: 'open',
      });
      expect(detail.context?.dependencies.map(d => d.dependency)).toContain(
        'payments',
      );
      expect(detail.hypotheses.length).toBeGreaterThanOrEqual(1);
      expect(detail.hypotheses.length).toBeLessThanOrEqual(3);
      const [top] = detail.hypotheses;
      expect(top.rootCause).toMatch(/payments/);
      const evidence = new Set(
        [
          ...detail.context!.alerts,
          ...detail.context!.operations,
          ...detail.context!.dependencies,
          ...detail.context!.logTemplates,
          ...detail.context!.metricDeltas,
        ].map(e => e.id),
      );
      for (const hypothesis of detail.hypotheses) {
        expect(hypothesis.evidenceIds.every(id => evidence.has(id))).toBe(true);
      }

      const review = await request(server)
        .post(
          `/api/ai-triage/incidents/${incidentId}/hypotheses/${top.id}/reviews`,
        )
        .set('authorization', asUser)
        .send({ decision: 'accepted', comment: 'payments p95 confirms it' });
      expect(review.status).toBe(201);

      const reread = await request(server)
        .get(`/api/ai-triage/incidents/${incidentId}`)
        .set('authorization', asUser);
      expect(reread.body.hypotheses[0].review).toMatchObject({
        decision: 'accepted',
        comment: 'payments p95 confirms it',
        reviewer: 'user:default/mock',
      });
    },
  );

  it('rejects bad reviews, unknown incidents and callers of the wrong kind', async () => {
    const server = await startAiTriage(await databases.init('SQLITE_3'));
    const missing = await request(server)
      .get('/api/ai-triage/incidents/nope')
      .set('authorization', asUser);
    expect(missing.status).toBe(404);

    const badReview = await request(server)
      .post('/api/ai-triage/incidents/nope/hypotheses/h/reviews')
      .set('authorization', asUser)
      .send({ decision: 'modified' });
    expect(badReview.status).toBe(400);
    expect(badReview.body.error.message).toBe(
      'Invalid review: modifiedRootCause: is required when decision is "modified"',
    );

    const unknownHypothesis = await request(server)
      .post('/api/ai-triage/incidents/nope/hypotheses/h/reviews')
      .set('authorization', asUser)
      .send({ decision: 'accepted' });
    expect(unknownHypothesis.status).toBe(404);

    const anonymous = await request(server)
      .get('/api/ai-triage/incidents')
      .set('authorization', mockCredentials.none.header());
    expect(anonymous.status).toBe(401);

    const serviceOnUserRoute = await request(server)
      .get('/api/ai-triage/incidents')
      .set('authorization', asService);
    expect(serviceOnUserRoute.status).toBe(403);

    const webhookAsUser = await request(server)
      .post('/api/ai-triage/webhooks/alertmanager')
      .set('authorization', asUser)
      .send({});
    expect(webhookAsUser.status).toBe(403);

    const health = await request(server)
      .get('/api/ai-triage/health')
      .set('authorization', mockCredentials.none.header());
    expect(health.body).toEqual({ status: 'ok' });
  });

  it('denies reviews without the review permission', async () => {
    const server = await startAiTriage(
      await databases.init('SQLITE_3'),
      mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
    );
    const res = await request(server)
      .post('/api/ai-triage/incidents/x/hypotheses/h/reviews')
      .set('authorization', asUser)
      .send({ decision: 'accepted' });
    expect(res.status).toBe(403);
    const read = await request(server)
      .get('/api/ai-triage/incidents')
      .set('authorization', asUser);
    expect(read.status).toBe(403);
    expect(res.body.error.message).toBe(
      'Missing permission ai-triage.hypothesis.review',
    );
  });
});
