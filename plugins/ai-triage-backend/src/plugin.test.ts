import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  IncidentDetailResponse,
  IncidentListResponse,
} from '@ai-triage/plugin-ai-triage-common';
import request from 'supertest';
import {
  deliverScenario,
  startAiTriageBackend,
  waitFor,
} from './__testUtils__/testBackend';
import { createTestDatabases } from './__testUtils__/testDatabases';

jest.setTimeout(60_000);

const asService = mockCredentials.service.header();
const asUser = mockCredentials.user.header();

describe('aiTriagePlugin', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'drives an alert from the webhook to a stored review, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await startAiTriageBackend({ knex });
      const incidentId = await deliverScenario(server);

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
    const server = await startAiTriageBackend({
      knex: await databases.init('SQLITE_3'),
    });
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
    const server = await startAiTriageBackend({
      knex: await databases.init('SQLITE_3'),
      features: [
        mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
      ],
    });
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
