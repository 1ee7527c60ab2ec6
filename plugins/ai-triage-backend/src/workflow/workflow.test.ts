import { createHmac } from 'node:crypto';
import { Server } from 'node:http';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { JsonObject } from '@backstage/types';
import {
  AI_TRIAGE_INCIDENTS_TOPIC,
  AI_TRIAGE_REVIEWS_TOPIC,
  IncidentDetailResponse,
  incidentEventSchema,
  reviewEventSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import request from 'supertest';
import { aiTriagePlugin } from '../plugin';
import { verifyWebhookSignature } from '../outbound/signWebhook';
import {
  checkoutEntity,
  deliverScenario,
  waitFor,
} from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import {
  eventRecorder,
  notificationsBackend,
  RawRequest,
  recordingAuditor,
  startReceiver,
} from '../__testUtils__/workflowTestKit';

jest.setTimeout(90_000);

const asUser = mockCredentials.user.header();
const SECRET = 'whsec-test-secret';

async function startBackend(
  knex: Knex,
  config: JsonObject,
  extraFeatures: Array<ReturnType<typeof notificationsBackend>> = [],
) {
  const auditor = recordingAuditor();
  const recorder = eventRecorder([
    AI_TRIAGE_INCIDENTS_TOPIC,
    AI_TRIAGE_REVIEWS_TOPIC,
  ]);
  const backend = await startTestBackend({
    features: [
      aiTriagePlugin,
      catalogServiceMock.factory({ entities: [checkoutEntity] }),
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({ data: config }),
      auditor.factory,
      recorder.module,
      ...extraFeatures,
    ],
  });
  return {
    server: backend.server as Server,
    stop: () => backend.stop(),
    audits: auditor.audits,
    events: recorder.received,
  };
}

async function triagedIncident(server: Server) {
  const incidentId = await deliverScenario(server);
  return waitFor('hypotheses', async () => {
    const res = await request(server)
      .get(`/api/ai-triage/incidents/${incidentId}`)
      .set('authorization', asUser);
    const body = res.body as IncidentDetailResponse;
    return body.incident?.triageState === 'triaged' ? body : undefined;
  });
}

async function deliveryJobs(server: Server, incidentId: string) {
  const res = await request(server)
    .get('/api/ai-triage/jobs')
    .query({ incidentId })
    .set('authorization', asUser);
  expect(res.status).toBe(200);
  return (res.body.items as Array<{ type: string; status: string }>).filter(
    job => job.type === 'deliver',
  );
}

/** Waits until every deliver job of the incident is done (none queued, running or dead). */
async function deliveriesSettled(
  server: Server,
  incidentId: string,
  count: number,
) {
  return waitFor(`${count} deliveries done`, async () => {
    const jobs = await deliveryJobs(server, incidentId);
    return jobs.length === count && jobs.every(job => job.status === 'done')
      ? jobs
      : undefined;
  });
}

/** The receiver's own check of a signature, written from the documented scheme. */
function signatureIsValid(req: RawRequest, nowSeconds: number): boolean {
  const header = String(req.headers['x-ai-triage-signature']);
  const t = Number(/t=(\d+)/.exec(header)?.[1]);
  const v1 = /v1=([0-9a-f]+)/.exec(header)?.[1];
  const expected = createHmac('sha256', SECRET)
    .update(`${t}.${req.rawBody}`)
    .digest('hex');
  return v1 === expected && Math.abs(nowSeconds - t) <= 300;
}

describe('incident workflow', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'acknowledges, accepts and delivers each signed webhook exactly once through failures, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      // Fails twice, then takes it.
      const flaky = await startReceiver((_req, index) => ({
        status: index < 2 ? 503 : 200,
      }));
      const acks = await startReceiver(() => ({ status: 204 }));
      const { server, audits, events, stop } = await startBackend(knex, {
        app: { baseUrl: 'http://portal.test' },
        aiTriage: {
          outbound: {
            webhooks: [
              {
                name: 'reviews',
                url: `${flaky.url}/hooks/triage`,
                secret: SECRET,
                events: ['hypothesis.accepted'],
              },
              {
                name: 'acks',
                url: `${acks.url}/hooks/acks`,
                secret: SECRET,
                events: ['incident.acknowledged'],
                filter: { severities: ['critical', 'high', 'warning'] },
              },
              {
                // Filtered out: the incident is not of this entity.
                name: 'other-team',
                url: `${acks.url}/hooks/other`,
                filter: { entityRefs: ['component:default/billing'] },
              },
            ],
          },
        },
      });
      try {
        const detail = await triagedIncident(server);
        const incidentId = detail.incident.id;

        const bad = await request(server)
          .post(`/api/ai-triage/incidents/${incidentId}/status`)
          .set('authorization', asUser)
          .send({ status: 'closed' });
        expect(bad.status).toBe(400);
        expect(bad.body.error.message).toMatch(/status/);

        const ack = await request(server)
          .post(`/api/ai-triage/incidents/${incidentId}/status`)
          .set('authorization', asUser)
          .send({ status: 'acknowledged', comment: 'on it' });
        expect(ack.status).toBe(200);
        expect(ack.body.incident.status).toBe('acknowledged');
        expect(ack.body.workflow.statusChangedBy).toBe('user:default/mock');

        const [top] = detail.hypotheses;
        const review = await request(server)
          .post(
            `/api/ai-triage/incidents/${incidentId}/hypotheses/${top.id}/reviews`,
          )
          .set('authorization', asUser)
          .send({ decision: 'accepted' });
        expect(review.status).toBe(201);

        await deliveriesSettled(server, incidentId, 2);
        // The flaky receiver saw three attempts and acknowledged exactly one.
        expect(flaky.requests).toHaveLength(3);
        expect(acks.requests.map(r => r.path)).toEqual(['/hooks/acks']);
        const now = Math.floor(Date.now() / 1000);
        for (const req of [...flaky.requests, ...acks.requests]) {
          expect(signatureIsValid(req, now)).toBe(true);
          // Replay-safe: the same signature is refused once outside the tolerance, and a
          // changed body does not verify.
          expect(
            verifyWebhookSignature({
              secret: SECRET,
              rawBody: req.rawBody,
              header: String(req.headers['x-ai-triage-signature']),
              nowSeconds: now + 600,
            }),
          ).toBe(false);
          expect(
            verifyWebhookSignature({
              secret: SECRET,
              rawBody: `${req.rawBody} `,
              header: String(req.headers['x-ai-triage-signature']),
            }),
          ).toBe(false);
        }
        // Every attempt carries the same event (receivers dedupe on its id).
        const eventIds = new Set(
          flaky.requests.map(r => r.headers['x-ai-triage-event-id']),
        );
        expect(eventIds.size).toBe(1);
        const delivered = JSON.parse(flaky.requests[2].rawBody);
        expect(delivered.topic).toBe(AI_TRIAGE_REVIEWS_TOPIC);
        const reviewEvent = reviewEventSchema.parse(delivered.event);
        expect(reviewEvent).toMatchObject({
          type: 'hypothesis.accepted',
          hypothesisId: top.id,
          rootCause: top.rootCause,
          diagnosticSteps: top.diagnosticSteps,
          reviewer: 'user:default/mock',
        });
        expect(reviewEvent.incident.status).toBe('acknowledged');
        const ackEvent = incidentEventSchema.parse(
          JSON.parse(acks.requests[0].rawBody).event,
        );
        expect(ackEvent).toMatchObject({
          type: 'incident.acknowledged',
          previousStatus: 'open',
          comment: 'on it',
        });

        // The events service carried the same payloads, valid against their schemas.
        const incidentsTopic = events.filter(
          e => e.topic === AI_TRIAGE_INCIDENTS_TOPIC,
        );
        const reviewsTopic = events.filter(
          e => e.topic === AI_TRIAGE_REVIEWS_TOPIC,
        );
        expect(incidentsTopic).toHaveLength(1);
        expect(reviewsTopic).toHaveLength(1);
        expect(
          incidentEventSchema.parse(incidentsTopic[0].eventPayload).eventId,
        ).toBe(ackEvent.eventId);
        expect(
          reviewEventSchema.parse(reviewsTopic[0].eventPayload).eventId,
        ).toBe(reviewEvent.eventId);

        // The accepted hypothesis is the incident's current root cause.
        const reread = await request(server)
          .get(`/api/ai-triage/incidents/${incidentId}`)
          .set('authorization', asUser);
        expect(reread.body.incident.status).toBe('acknowledged');
        expect(reread.body.workflow.currentRootCause).toMatchObject({
          hypothesisId: top.id,
          rootCause: top.rootCause,
          decision: 'accepted',
          reviewer: 'user:default/mock',
        });

        // Audited: the status change, the review, and each delivery attempt (two rejected).
        expect(audits).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              eventId: 'incident-status',
              severityLevel: 'medium',
              outcome: 'succeeded',
              meta: expect.objectContaining({
                incidentId,
                status: 'acknowledged',
                actor: 'user:default/mock',
                via: 'http',
              }),
            }),
            expect.objectContaining({
              eventId: 'hypothesis-review',
              outcome: 'succeeded',
              meta: expect.objectContaining({ decision: 'accepted' }),
            }),
          ]),
        );
        const deliveryAudits = audits.filter(
          a =>
            a.eventId === 'outbound-delivery' &&
            a.meta?.target === 'webhook:reviews',
        );
        expect(deliveryAudits.map(a => a.outcome)).toEqual([
          'failed',
          'failed',
          'succeeded',
        ]);
        expect(deliveryAudits[0].error).toMatch(/HTTP 503/);
        expect(JSON.stringify(audits)).not.toContain(SECRET);

        // Resolving and reopening work; resolving twice changes nothing.
        for (const status of ['resolved', 'resolved', 'open']) {
          const res = await request(server)
            .post(`/api/ai-triage/incidents/${incidentId}/status`)
            .set('authorization', asUser)
            .send({ status });
          expect(res.status).toBe(200);
          expect(res.body.incident.status).toBe(status);
        }
        expect(
          events
            .filter(e => e.topic === AI_TRIAGE_INCIDENTS_TOPIC)
            .map(e => (e.eventPayload as { type: string }).type),
        ).toEqual([
          'incident.acknowledged',
          'incident.resolved',
          'incident.reopened',
        ]);
        const missing = await request(server)
          .post('/api/ai-triage/incidents/nope/status')
          .set('authorization', asUser)
          .send({ status: 'resolved' });
        expect(missing.status).toBe(404);
      } finally {
        await stop();
        await flaky.close();
        await acks.close();
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'stores a review and its deliveries in one transaction: a failing deliveries insert leaves neither, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const receiver = await startReceiver(() => ({ status: 200 }));
      const postgres = knex.client.config.client === 'pg';
      // A real database fault in the deliveries insert: the job table refuses deliver jobs.
      const rejectDeliveries = async () => {
        if (postgres) {
          await knex.raw(`CREATE OR REPLACE FUNCTION reject_deliver() RETURNS trigger AS $$
            BEGIN IF NEW.type = 'deliver' THEN RAISE EXCEPTION 'injected: deliveries insert fails'; END IF;
            RETURN NEW; END $$ LANGUAGE plpgsql`);
          await knex.raw(
            'CREATE TRIGGER reject_deliver BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION reject_deliver()',
          );
        } else {
          await knex.raw(`CREATE TRIGGER reject_deliver BEFORE INSERT ON jobs
            WHEN NEW.type = 'deliver' BEGIN SELECT RAISE(ABORT, 'injected: deliveries insert fails'); END`);
        }
      };
      const { server, stop } = await startBackend(knex, {
        aiTriage: {
          outbound: {
            webhooks: [
              {
                name: 'reviews',
                url: receiver.url,
                secret: SECRET,
                events: ['hypothesis.accepted'],
              },
            ],
          },
        },
      });
      try {
        const detail = await triagedIncident(server);
        const incidentId = detail.incident.id;
        const [top] = detail.hypotheses;
        const accept = () =>
          request(server)
            .post(
              `/api/ai-triage/incidents/${incidentId}/hypotheses/${top.id}/reviews`,
            )
            .set('authorization', asUser)
            .send({ decision: 'accepted' });
        const stored = async () => ({
          reviews: (await knex('reviews').where('incident_id', incidentId))
            .length,
          deliveries: (await deliveryJobs(server, incidentId)).length,
          rootCause: (await knex('incidents').where('id', incidentId).first())
            .current_root_cause,
        });

        await rejectDeliveries();
        const failed = await accept();
        expect(failed.status).toBe(500);
        expect(await stored()).toEqual({
          reviews: 0,
          deliveries: 0,
          rootCause: null,
        });

        await knex.raw(
          postgres
            ? 'DROP TRIGGER reject_deliver ON jobs'
            : 'DROP TRIGGER reject_deliver',
        );
        expect((await accept()).status).toBe(201);
        expect(await stored()).toEqual({
          reviews: 1,
          deliveries: 1,
          rootCause: expect.stringContaining(top.id),
        });
        await deliveriesSettled(server, incidentId, 1);
        expect(receiver.requests).toHaveLength(1);
      } finally {
        await stop();
        await receiver.close();
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'dead-letters a permanent 4xx at once and retries a 429, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const gone = await startReceiver(() => ({
        status: 410,
        body: { message: 'this hook was deleted' },
      }));
      // Too Many Requests once, then takes it: 429 (like 408) is worth retrying.
      const busy = await startReceiver((_req, index) => ({
        status: index < 1 ? 429 : 200,
      }));
      const { server, audits, stop } = await startBackend(knex, {
        aiTriage: {
          outbound: {
            webhooks: [
              { name: 'gone', url: gone.url, secret: SECRET },
              { name: 'busy', url: busy.url, secret: SECRET },
            ],
          },
        },
      });
      try {
        const detail = await triagedIncident(server);
        const incidentId = detail.incident.id;
        await request(server)
          .post(`/api/ai-triage/incidents/${incidentId}/status`)
          .set('authorization', asUser)
          .send({ status: 'acknowledged' })
          .expect(200);
        const dead = await waitFor('the refused delivery dead', async () => {
          const res = await request(server)
            .get('/api/ai-triage/jobs')
            .query({ status: 'dead', incidentId })
            .set('authorization', asUser);
          expect(res.status).toBe(200);
          return res.body.items.length === 1 ? res.body.items : undefined;
        });
        expect(dead).toEqual([
          expect.objectContaining({
            type: 'deliver',
            status: 'dead',
            attempts: 1,
            lastError: expect.stringMatching(
              /DeliveryRefusedError: webhook:gone answered HTTP 410/,
            ),
          }),
        ]);
        await waitFor('the busy receiver served', () =>
          busy.requests.length === 2 ? true : undefined,
        );
        // The served delivery's job is marked done just after its answer arrives.
        const statuses = await waitFor('the busy delivery done', async () => {
          const jobs = await deliveryJobs(server, incidentId);
          const all = jobs.map(j => j.status).sort();
          return all.includes('running') || all.includes('queued')
            ? undefined
            : all;
        });
        expect(statuses).toEqual(['dead', 'done']);
        // Asked once, never again.
        expect(gone.requests).toHaveLength(1);
        expect(
          audits
            .filter(
              a =>
                a.eventId === 'outbound-delivery' &&
                a.meta?.target === 'webhook:gone',
            )
            .map(a => [a.outcome, a.error]),
        ).toEqual([['failed', expect.stringMatching(/HTTP 410.*permanent/)]]);
        expect(
          audits
            .filter(
              a =>
                a.eventId === 'outbound-delivery' &&
                a.meta?.target === 'webhook:busy',
            )
            .map(a => a.outcome),
        ).toEqual(['failed', 'succeeded']);
        // The incident's triage is not marked failed by a dead delivery.
        const after = await request(server)
          .get(`/api/ai-triage/incidents/${incidentId}`)
          .set('authorization', asUser);
        expect(after.body.incident.triageState).toBe('triaged');
      } finally {
        await stop();
        await gone.close();
        await busy.close();
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'notifies the owners when an incident is acknowledged or resolved, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const sent: Array<{ body: any; auth?: string }> = [];
      const { server, stop } = await startBackend(knex, {}, [
        notificationsBackend(sent),
      ]);
      try {
        const detail = await triagedIncident(server);
        const incidentId = detail.incident.id;
        for (const [status, comment] of [
          ['acknowledged', 'on it'],
          ['resolved', undefined],
          ['open', undefined],
        ]) {
          await request(server)
            .post(`/api/ai-triage/incidents/${incidentId}/status`)
            .set('authorization', asUser)
            .send({ status, comment })
            .expect(200);
        }
        const statusNotifications = sent
          .map(s => s.body)
          .filter(b => b.payload.topic === AI_TRIAGE_INCIDENTS_TOPIC);
        // Reopening notifies nobody; the triage result went out on its own topic before.
        expect(statusNotifications).toEqual([
          {
            recipients: {
              type: 'entity',
              entityRef: 'component:default/checkout',
            },
            payload: expect.objectContaining({
              title: `Incident acknowledged: ${detail.incident.title}`,
              description: 'user:default/mock acknowledged it: on it',
              link: '/catalog/default/component/checkout/incidents',
              scope: `ai-triage:${incidentId}`,
            }),
          },
          {
            recipients: {
              type: 'entity',
              entityRef: 'component:default/checkout',
            },
            payload: expect.objectContaining({
              title: `Incident resolved: ${detail.incident.title}`,
              description: 'user:default/mock resolved it.',
            }),
          },
        ]);
        expect(
          sent.some(s => s.body.payload.topic === 'ai-triage.results'),
        ).toBe(true);
      } finally {
        await stop();
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps a pending delivery across a backend restart on the same database, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const receiver = await startReceiver((_req, index) => ({
        status: index < 1 ? 500 : 200,
      }));
      const config = {
        aiTriage: {
          outbound: {
            webhooks: [{ name: 'ops', url: receiver.url, secret: SECRET }],
          },
        },
      };
      const first = await startBackend(knex, config);
      let second: Awaited<ReturnType<typeof startBackend>> | undefined;
      try {
        const detail = await triagedIncident(first.server);
        const incidentId = detail.incident.id;
        await request(first.server)
          .post(`/api/ai-triage/incidents/${incidentId}/status`)
          .set('authorization', asUser)
          .send({ status: 'acknowledged' })
          .expect(200);
        // The first attempt failed; the retry is queued with backoff. Stop the backend now.
        await waitFor('first attempt', () =>
          receiver.requests.length === 1 ? true : undefined,
        );
        await waitFor('the failure recorded', async () => {
          const [job] = await deliveryJobs(first.server, incidentId);
          return job?.status === 'queued' ? job : undefined;
        });
        await first.stop();
        expect(receiver.requests).toHaveLength(1);

        second = await startBackend(knex, config);
        await deliveriesSettled(second.server, incidentId, 1);
        expect(receiver.requests).toHaveLength(2);
        expect(receiver.requests[1].rawBody).toBe(receiver.requests[0].rawBody);
      } finally {
        await second?.stop();
        await receiver.close();
      }
    },
  );
});
