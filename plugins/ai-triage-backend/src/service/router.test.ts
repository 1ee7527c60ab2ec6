import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { PermissionsService } from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  IncidentDetailResponse,
  IncidentListResponse,
  RetriageResponse,
} from '@ai-triage/plugin-ai-triage-common';
import express from 'express';
import { Knex } from 'knex';
import request from 'supertest';
import { ingestItem, testAlert } from '../__testUtils__/alerts';
import { slowPaymentsContext } from '../__testUtils__/contexts';
import { serviceComponent } from '../__testUtils__/entities';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabaseIncidentStore } from '../database/DatabaseIncidentStore';
import { DatabaseJobQueue } from '../queue/DatabaseJobQueue';
import { DatabaseTriageStore } from '../database/DatabaseTriageStore';
import { applyDatabaseMigrations } from '../database/migrations';
import { CatalogEntityResolver } from '../catalog/EntityResolver';
import { CatalogEntityQuery } from '../catalog/CatalogEntityQuery';
import { IncidentSignaller } from '../publishing/IncidentSignaller';
import { createRouter } from './router';
import { ConfigReader } from '@backstage/config';
import { DefaultEventsService } from '@backstage/plugin-events-node';
import { createIncidentWorkflow } from '../workflow/createIncidentWorkflow';
import { AiTriageOwnershipPolicy } from '../permissions/AiTriageOwnershipPolicy';
import { IncidentAccess } from '../permissions/IncidentAccess';

jest.setTimeout(120_000);

function component(name: string, owner: string, system: string): Entity {
  return serviceComponent(name, { owner, system });
}

const entities = [
  component('checkout', 'team-checkout', 'shop'),
  component('payments', 'team-payments', 'shop'),
  component('reports', 'team-payments', 'backoffice'),
];

const asUser = mockCredentials.user.header();
const CHECKOUT = 'component:default/checkout';

async function startApi(
  knex: Knex,
  permission:
    | AuthorizeResult.ALLOW
    | AuthorizeResult.DENY
    | PermissionsService = AuthorizeResult.ALLOW,
) {
  const incidents = DatabaseIncidentStore.create({
    knex,
    reopenWindowMs: 3_600_000,
    maxAttempts: 3,
  });
  const queue = DatabaseJobQueue.create({ knex });
  const triage = DatabaseTriageStore.create({ knex, maxAttempts: 3 });
  const catalog = catalogServiceMock({ entities });
  const auth = mockServices.auth();
  // Signals as the signals service would deliver them to open pages.
  const signalled: unknown[] = [];
  const permissions =
    typeof permission === 'object'
      ? permission
      : mockServices.permissions({ result: permission });
  const entityQuery = CatalogEntityQuery.create({ catalog, auth });
  const signaller = IncidentSignaller.create({
    signals: {
      async publish(signal) {
        signalled.push(signal);
      },
    },
    logger: mockServices.logger.mock(),
  });
  const { workflow } = createIncidentWorkflow({
    config: new ConfigReader({}),
    knex,
    incidents,
    triage,
    queue,
    entityQuery,
    events: DefaultEventsService.create({ logger: mockServices.logger.mock() }),
    auditor: mockServices.auditor.mock(),
    logger: mockServices.logger.mock(),
    signaller,
  });
  const router = await createRouter({
    httpAuth: mockServices.httpAuth(),
    incidents,
    triage,
    queue,
    entities: CatalogEntityResolver.create({ catalog, auth }),
    entityQuery,
    workflow,
    access: IncidentAccess.create({
      permissions,
      incidents,
      entityQuery,
    }),
  });
  const app = express().use(router).use(mockErrorHandler());
  return { app, incidents, queue, triage, signalled };
}

async function list(app: express.Express, query: Record<string, string>) {
  const res = await request(app)
    .get('/incidents')
    .query(query)
    .set('Authorization', asUser);
  expect(res.status).toBe(200);
  return res.body as IncidentListResponse;
}

/**
 * The permission backend's part, on the real ownership policy: each user's ownership claims
 * (the user and their groups) go to the policy, whose decisions come back as they would.
 */
function ownershipPermissions(
  ownership: Record<string, string[]>,
  admins: string[],
): PermissionsService {
  const policy = new AiTriageOwnershipPolicy(admins);
  const decide = (requests: any[], options: { credentials: any }) => {
    const userEntityRef = options.credentials.principal.userEntityRef;
    const info = {
      userEntityRef,
      ownershipEntityRefs: ownership[userEntityRef] ?? [userEntityRef],
    };
    return Promise.all(
      requests.map(r =>
        policy.handle(
          { permission: r.permission },
          { credentials: options.credentials, info },
        ),
      ),
    );
  };
  return {
    authorizeConditional: decide,
    async authorize(requests: any[], options: { credentials: any }) {
      return (await decide(requests, options)).map(d =>
        d.result === AuthorizeResult.CONDITIONAL
          ? { result: AuthorizeResult.DENY }
          : d,
      );
    },
  } as unknown as PermissionsService;
}

describe('createRouter', () => {
  const databases = createTestDatabases();

  async function setup(databaseId: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    return { knex, ...(await startApi(knex)) };
  }

  it.each(databases.eachSupportedId())(
    'pages 500 incidents of one entity, open ones first, %p',
    async databaseId => {
      const { app, incidents } = await setup(databaseId);
      // Every fifth alert arrives resolved, so its incident is stored resolved.
      await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: 'many',
        alerts: Array.from({ length: 500 }, (_, i) =>
          ingestItem(
            testAlert({
              name: `Alert${String(i).padStart(3, '0')}`,
              fingerprint: `fp-${i}`,
              status: i % 5 === 0 ? 'resolved' : 'firing',
            }),
            CHECKOUT,
          ),
        ),
      });

      const first = await list(app, { entityRef: CHECKOUT, limit: '20' });
      expect(first.items).toHaveLength(20);
      expect(first).toMatchObject({ totalCount: 500, offset: 0, limit: 20 });
      expect(first.items.every(i => i.status === 'open')).toBe(true);

      const last = await list(app, {
        entityRef: CHECKOUT,
        limit: '20',
        offset: '480',
      });
      expect(last.items).toHaveLength(20);
      expect(last.items.every(i => i.status === 'resolved')).toBe(true);

      const second = await list(app, {
        entityRef: CHECKOUT,
        limit: '20',
        offset: '20',
      });
      const seen = new Set([...first.items, ...second.items].map(i => i.id));
      expect(seen.size).toBe(40);

      // Without a limit the API still answers one bounded page.
      const unbounded = await list(app, { entityRef: CHECKOUT });
      expect(unbounded.items).toHaveLength(50);
    },
  );

  it.each(databases.eachSupportedId())(
    'answers 400 naming the problem for a malformed entityRef or a NUL in an id, query or comment, %p',
    async databaseId => {
      const { app, incidents } = await setup(databaseId);
      const { incidentIds } = await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: 'one',
        alerts: [ingestItem(testAlert(), CHECKOUT)],
      });
      const cases: Array<[string, request.Test, RegExp]> = [
        [
          'entityRef _',
          request(app).get('/incidents').query({ entityRef: '_' }),
          /entityRef: must be an entity reference/,
        ],
        [
          'NUL in a path id',
          request(app).get(`/incidents/${incidentIds[0]}%00`),
          /NUL character/,
        ],
        [
          'NUL in the query',
          request(app).get('/incidents?owner=team%00a'),
          /NUL character/,
        ],
        [
          'NUL in a review comment',
          request(app)
            .post(`/incidents/${incidentIds[0]}/hypotheses/h1/reviews`)
            .send({ decision: 'rejected', comment: 'no\u0000pe' }),
          /comment: contains a NUL character/,
        ],
      ];
      for (const [what, req, message] of cases) {
        const res = await req.set('Authorization', asUser);
        expect({ what, status: res.status }).toEqual({ what, status: 400 });
        expect(res.body.error.message).toMatch(message);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'lets a team read, review and re-triage its own entities incidents only; admins all, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const { app, incidents } = await startApi(
        knex,
        ownershipPermissions(
          {
            'user:default/jane': [
              'user:default/jane',
              'group:default/team-checkout',
            ],
            'user:default/bob': [
              'user:default/bob',
              'group:default/team-payments',
            ],
            'user:default/alice': ['user:default/alice', 'group:default/sre'],
          },
          ['group:default/sre'],
        ),
      );
      await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: 'two-teams',
        alerts: [
          ingestItem(testAlert({ name: 'CheckoutSlow' }), CHECKOUT),
          ingestItem(
            testAlert({
              name: 'PaymentsDown',
              fingerprint: 'fp-p',
              resource: { 'service.name': 'payments' },
            }),
            'component:default/payments',
          ),
          ingestItem(
            testAlert({
              name: 'Unlinked',
              fingerprint: 'fp-u',
              resource: { 'service.name': 'legacy' },
            }),
          ),
        ],
      });
      const checkout = (await incidents.listIncidents({ limit: 10 })).find(
        i => i.entityRef === CHECKOUT,
      )!.id;
      const as = (user: string) => mockCredentials.user.header(user);
      const review = (user: string) =>
        request(app)
          .post(`/incidents/${checkout}/hypotheses/no-such-hypothesis/reviews`)
          .set('Authorization', as(user))
          .send({ decision: 'accepted' });

      // Owner: past the permission check (the hypothesis does not exist).
      expect((await review('user:default/jane')).status).toBe(404);
      // Non-owner: refused.
      const refused = await review('user:default/bob');
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(
        /Missing permission ai-triage.hypothesis.review/,
      );
      // Admin: past the permission check.
      expect((await review('user:default/alice')).status).toBe(404);

      for (const [user, status] of [
        ['user:default/jane', 200],
        ['user:default/bob', 403],
        ['user:default/alice', 200],
      ] as const) {
        const detail = await request(app)
          .get(`/incidents/${checkout}`)
          .set('Authorization', as(user));
        expect({ user, status: detail.status }).toEqual({ user, status });
        const retriage = await request(app)
          .post(`/incidents/${checkout}/retriage`)
          .set('Authorization', as(user));
        expect({ user, retriage: retriage.status === 403 }).toEqual({
          user,
          retriage: status === 403,
        });
      }

      const titles = async (user: string) =>
        (
          (await request(app).get('/incidents').set('Authorization', as(user)))
            .body as IncidentListResponse
        ).items
          .map(i => i.title)
          .sort();
      expect(await titles('user:default/jane')).toEqual([
        'CheckoutSlow on checkout',
      ]);
      expect(await titles('user:default/bob')).toEqual([
        'PaymentsDown on payments',
      ]);
      expect(await titles('user:default/alice')).toHaveLength(3);
    },
  );

  it.each(databases.eachSupportedId())(
    'filters by owner, system, severity, status and unlinked, %p',
    async databaseId => {
      const { app, incidents } = await setup(databaseId);
      await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: 'mixed',
        alerts: [
          ingestItem(testAlert({ name: 'CheckoutSlow' }), CHECKOUT),
          ingestItem(
            testAlert({
              name: 'PaymentsDown',
              fingerprint: 'fp-p',
              severity: 'critical',
              resource: { 'service.name': 'payments' },
            }),
            'component:default/payments',
          ),
          ingestItem(
            testAlert({
              name: 'ReportsLate',
              fingerprint: 'fp-r',
              status: 'resolved',
              resource: { 'service.name': 'reports' },
            }),
            'component:default/reports',
          ),
          ingestItem(
            testAlert({
              name: 'BatchFailed',
              fingerprint: 'fp-b',
              resource: { 'service.name': 'legacy-batch' },
            }),
          ),
        ],
      });
      const titles = async (query: Record<string, string>) =>
        (await list(app, query)).items.map(i => i.title).sort();

      expect(await titles({ owner: 'team-payments' })).toEqual([
        'PaymentsDown on payments',
        'ReportsLate on reports',
      ]);
      expect(await titles({ owner: 'group:default/team-checkout' })).toEqual([
        'CheckoutSlow on checkout',
      ]);
      expect(await titles({ system: 'shop' })).toEqual([
        'CheckoutSlow on checkout',
        'PaymentsDown on payments',
      ]);
      expect(await titles({ owner: 'team-payments', system: 'shop' })).toEqual([
        'PaymentsDown on payments',
      ]);
      expect(await titles({ owner: 'nobody' })).toEqual([]);
      expect(await titles({ severity: 'critical,high' })).toEqual([
        'PaymentsDown on payments',
      ]);
      expect(await titles({ status: 'resolved' })).toEqual([
        'ReportsLate on reports',
      ]);
      expect(await titles({ unlinked: 'true' })).toEqual([
        'BatchFailed on legacy-batch',
      ]);
      expect((await list(app, {})).totalCount).toBe(4);
    },
  );

  it.each(databases.eachSupportedId())(
    'rejects a bad list query naming the parameter, %p',
    async databaseId => {
      const { app } = await setup(databaseId);
      for (const [query, named] of [
        [{ severity: 'urgent' }, 'severity'],
        [{ status: 'open,closed' }, 'status'],
        [{ limit: '1000' }, 'limit'],
        [{ offset: '-1' }, 'offset'],
        [{ unlinked: 'yes' }, 'unlinked'],
        [{ unlinked: 'true', owner: 'team-a' }, 'unlinked'],
        [{ colour: 'red' }, 'colour'],
      ] as const) {
        const res = await request(app)
          .get('/incidents')
          .query(query)
          .set('Authorization', asUser);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain(named);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'rejects a bad jobs query naming the parameter, %p',
    async databaseId => {
      const { app } = await setup(databaseId);
      for (const [query, named] of [
        [{ status: 'failed' }, 'status'],
        [{ limit: '0' }, 'limit'],
        [{ incidentId: '' }, 'incidentId'],
        // A misspelt filter would otherwise list every job.
        [{ state: 'dead' }, 'state'],
      ] as const) {
        const res = await request(app)
          .get('/jobs')
          .query(query)
          .set('Authorization', asUser);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain(named);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    're-triages on demand: one new enrich job, the incident pending again, %p',
    async databaseId => {
      const { knex, app, incidents, queue, signalled } = await setup(
        databaseId,
      );
      const {
        incidentIds: [id],
      } = await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: 'one',
        alerts: [ingestItem(testAlert(), CHECKOUT)],
      });

      // The ingest's own enrich job is still queued: a second triage would race it.
      const busy = await request(app)
        .post(`/incidents/${id}/retriage`)
        .set('Authorization', asUser);
      expect(busy.status).toBe(409);
      expect(busy.body.error.message).toContain('already being triaged');

      // The pipeline gave up on the incident: its job is dead.
      await knex('jobs')
        .where('incident_id', id)
        .update({ status: 'dead', last_error: 'context store unreachable' });
      await incidents.setTriageState(id, 'failed');
      const failed = await request(app)
        .get(`/incidents/${id}`)
        .set('Authorization', asUser);
      expect((failed.body as IncidentDetailResponse).failureReason).toBe(
        'context store unreachable',
      );

      const res = await request(app)
        .post(`/incidents/${id}/retriage`)
        .set('Authorization', asUser);
      expect(res.status).toBe(202);
      expect((res.body as RetriageResponse).incident).toMatchObject({
        id,
        triageState: 'pending',
      });
      const queued = await queue.listJobs({
        incidentId: id,
        status: 'queued',
        limit: 10,
      });
      expect(queued).toEqual([
        expect.objectContaining({ type: 'enrich', incidentId: id }),
      ]);

      expect(signalled).toEqual([
        {
          recipients: { type: 'broadcast' },
          channel: 'ai-triage:incidents',
          message: { incidentId: id, change: 'retriaged' },
        },
      ]);

      const missing = await request(app)
        .post('/incidents/no-such-incident/retriage')
        .set('Authorization', asUser);
      expect(missing.status).toBe(404);
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps every review with who changed what, and rejects a bad one, %p',
    async databaseId => {
      const { knex, app, incidents, queue, signalled } = await setup(
        databaseId,
      );
      const triage = DatabaseTriageStore.create({ knex, maxAttempts: 3 });
      const {
        incidentIds: [id],
      } = await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: 'reviewed',
        alerts: [ingestItem(testAlert(), CHECKOUT)],
      });
      const [enrich] = await queue.listJobs({ incidentId: id, limit: 1 });
      const context = await triage.saveContext({
        jobId: enrich.id,
        incidentId: id,
        document: slowPaymentsContext(id),
      });
      await triage.saveTriageRun({
        incidentId: id,
        contextId: context.id,
        reasoner: 'heuristic',
        latencyMs: 1,
        result: {
          insufficientEvidence: false,
          hypotheses: [
            {
              rootCause: 'payments is slow',
              affectedComponents: ['checkout', 'payments'],
              confidence: 'high',
              reasoning: 'most time is spent in payments',
              diagnosticSteps: ['Check payments latency'],
              evidenceIds: ['dep:payments'],
            },
          ],
        },
      });
      const [hypothesis] = await triage.listHypotheses(id);
      const reviews = `/incidents/${id}/hypotheses/${hypothesis.id}/reviews`;

      const bad = await request(app)
        .post(reviews)
        .set('Authorization', asUser)
        .send({ decision: 'accepted', modifiedDiagnosticSteps: ['x'] });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('modifiedDiagnosticSteps');

      expect(
        (
          await request(app)
            .post(reviews)
            .set('Authorization', asUser)
            .send({ decision: 'rejected', comment: 'looks wrong' })
        ).status,
      ).toBe(201);
      expect(
        (
          await request(app)
            .post(reviews)
            .set('Authorization', asUser)
            .send({
              decision: 'modified',
              modifiedRootCause: 'payments pool exhausted',
              modifiedAffectedComponents: ['payments'],
              modifiedDiagnosticSteps: ['Check the pool size of payments'],
              comment: 'the pool, not the service',
            })
        ).status,
      ).toBe(201);

      const detail = (
        await request(app).get(`/incidents/${id}`).set('Authorization', asUser)
      ).body as IncidentDetailResponse;
      const [reviewed] = detail.hypotheses;
      // Stored without a probability: the API gives the middle of its label's band.
      expect(reviewed.probability).toBe(0.85);
      expect(reviewed.review).toMatchObject({
        decision: 'modified',
        modifiedRootCause: 'payments pool exhausted',
        modifiedAffectedComponents: ['payments'],
        modifiedDiagnosticSteps: ['Check the pool size of payments'],
        reviewer: 'user:default/mock',
      });
      expect(reviewed.reviewHistory?.map(r => [r.decision, r.comment])).toEqual(
        [
          ['rejected', 'looks wrong'],
          ['modified', 'the pool, not the service'],
        ],
      );
      expect(detail).toMatchObject({ degraded: false, failureReason: null });
      // The two stored reviews were signalled; the refused one was not.
      expect(signalled).toEqual([
        expect.objectContaining({
          message: { incidentId: id, change: 'reviewed' },
        }),
        expect.objectContaining({
          message: { incidentId: id, change: 'reviewed' },
        }),
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'refuses a re-triage without the review permission, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const { app, incidents, queue } = await startApi(
        knex,
        AuthorizeResult.DENY,
      );
      const {
        incidentIds: [id],
      } = await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: 'denied',
        alerts: [ingestItem(testAlert(), CHECKOUT)],
      });
      const res = await request(app)
        .post(`/incidents/${id}/retriage`)
        .set('Authorization', asUser);
      expect(res.status).toBe(403);
      expect(await queue.listJobs({ incidentId: id, limit: 10 })).toHaveLength(
        1,
      );
    },
  );
  it.each(databases.eachSupportedId())(
    'lists the audit records of the LLM calls of an incident, %p',
    async databaseId => {
      const { app, incidents, triage } = await setup(databaseId);
      const {
        incidentIds: [id],
      } = await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: 'audited',
        alerts: [ingestItem(testAlert(), CHECKOUT)],
      });
      await triage.saveLlmCall({
        incidentId: id,
        reasoner: 'openai',
        model: 'gpt-test',
        promptVersion: 'triage-v1',
        attempt: 1,
        prompt: [{ role: 'system', content: 'You triage incidents.' }],
        response: '{"hypotheses":[]}',
        outcome: 'ok',
        error: null,
        promptTokens: 120,
        completionTokens: 8,
        totalTokens: 128,
        latencyMs: 42,
      });

      const res = await request(app)
        .get(`/incidents/${id}/llm-calls`)
        .set('Authorization', asUser);
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([
        expect.objectContaining({
          incidentId: id,
          model: 'gpt-test',
          promptVersion: 'triage-v1',
          outcome: 'ok',
          totalTokens: 128,
        }),
      ]);
      const missing = await request(app)
        .get('/incidents/no-such-incident/llm-calls')
        .set('Authorization', asUser);
      expect(missing.status).toBe(404);
    },
  );
});
