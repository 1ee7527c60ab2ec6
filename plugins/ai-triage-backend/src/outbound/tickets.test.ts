import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import { Server } from 'node:http';
import request from 'supertest';
import { aiTriagePlugin } from '../plugin';
import {
  checkoutEntity,
  deliverScenario,
  waitFor,
} from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { RawRequest, startReceiver } from '../__testUtils__/workflowTestKit';

jest.setTimeout(90_000);

const asUser = mockCredentials.user.header();

/**
 * PagerDuty REST API v2 `POST /incidents/{id}/notes`: `Authorization: Token token=…`, a `From`
 * header with a user's email, `{note: {content}}`; answers 201 with the note.
 */
function pagerDutyAnswer(req: RawRequest) {
  const match = /^\/incidents\/([A-Z0-9]+)\/notes$/.exec(req.path);
  if (req.method !== 'POST' || !match) return { status: 404 };
  if (req.headers.authorization !== 'Token token=pd-token') {
    return { status: 401, body: { error: { message: 'Unauthorized' } } };
  }
  if (req.headers.from !== 'oncall@example.com') {
    return {
      status: 400,
      body: { error: { message: 'From header is required', code: 2001 } },
    };
  }
  const { note } = JSON.parse(req.rawBody);
  return {
    status: 201,
    body: {
      note: {
        id: 'PWL7QXS',
        content: note.content,
        created_at: new Date().toISOString(),
        user: { id: 'PXPGF42', type: 'user_reference' },
      },
    },
  };
}

/** Jira REST API v2 `POST /rest/api/2/issue/{key}/comment`: Basic auth, `{body}`; 201. */
function jiraAnswer(req: RawRequest) {
  const match = /^\/rest\/api\/2\/issue\/([A-Z][A-Z0-9_]*-\d+)\/comment$/.exec(
    req.path,
  );
  if (req.method !== 'POST' || !match) return { status: 404 };
  const basic = Buffer.from('bot@example.com:jira-token').toString('base64');
  if (req.headers.authorization !== `Basic ${basic}`) {
    return { status: 401, body: { errorMessages: ['Unauthorized'] } };
  }
  const { body } = JSON.parse(req.rawBody);
  if (typeof body !== 'string') {
    return { status: 400, body: { errors: { body: 'Comment body required' } } };
  }
  return {
    status: 201,
    body: {
      id: '10000',
      self: `/rest/api/2/issue/${match[1]}/comment/10000`,
      body,
    },
  };
}

/** GitHub `POST /repos/{owner}/{repo}/issues/{n}/comments`: Bearer token, `{body}`; 201. */
function gitHubAnswer(req: RawRequest) {
  const match = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(
    req.path,
  );
  if (req.method !== 'POST' || !match) return { status: 404 };
  if (req.headers.authorization !== 'Bearer gh-token') {
    return { status: 401, body: { message: 'Bad credentials' } };
  }
  const { body } = JSON.parse(req.rawBody);
  return {
    status: 201,
    body: {
      id: 1,
      body,
      html_url: `https://github.com/${match[1]}/${match[2]}/issues/${match[3]}#issuecomment-1`,
    },
  };
}

describe('ticket comments', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'puts exactly one note on PagerDuty, one comment on Jira and one on GitHub with the accepted cause and steps, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const pagerduty = await startReceiver(pagerDutyAnswer);
      const jira = await startReceiver(jiraAnswer);
      const github = await startReceiver(gitHubAnswer);
      const backend = await startTestBackend({
        features: [
          aiTriagePlugin,
          catalogServiceMock.factory({ entities: [checkoutEntity] }),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              app: { baseUrl: 'http://portal.test' },
              aiTriage: {
                outbound: {
                  tickets: {
                    pagerduty: {
                      baseUrl: pagerduty.url,
                      token: 'pd-token',
                      fromEmail: 'oncall@example.com',
                    },
                    jira: {
                      baseUrl: jira.url,
                      email: 'bot@example.com',
                      token: 'jira-token',
                    },
                    github: { baseUrl: github.url, token: 'gh-token' },
                  },
                },
              },
            },
          }),
        ],
      });
      const server = backend.server as Server;
      try {
        const incidentId = await deliverScenario(server);
        const detail = await waitFor('hypotheses', async () => {
          const res = await request(server)
            .get(`/api/ai-triage/incidents/${incidentId}`)
            .set('authorization', asUser);
          const body = res.body as IncidentDetailResponse;
          return body.incident?.triageState === 'triaged' ? body : undefined;
        });
        const [top] = detail.hypotheses;

        const bad = await request(server)
          .put(`/api/ai-triage/incidents/${incidentId}/ticket`)
          .set('authorization', asUser)
          .send({ ticket: 'not a ticket' });
        expect(bad.status).toBe(400);
        expect(bad.body.error.message).toMatch(/Jira issue key/);

        const steps = ['Check payments p95', 'Roll back payments'];
        const decisions = [
          {
            ticket: 'https://acme.pagerduty.com/incidents/Q1W2E3R4',
            receiver: pagerduty,
          },
          { ticket: 'OPS-42', receiver: jira },
          {
            ticket: 'https://github.com/acme/shop/issues/12',
            receiver: github,
          },
        ];
        for (const [index, { ticket, receiver }] of decisions.entries()) {
          const set = await request(server)
            .put(`/api/ai-triage/incidents/${incidentId}/ticket`)
            .set('authorization', asUser)
            .send({ ticket });
          expect(set.status).toBe(200);
          const review = await request(server)
            .post(
              `/api/ai-triage/incidents/${incidentId}/hypotheses/${top.id}/reviews`,
            )
            .set('authorization', asUser)
            .send(
              index === 1
                ? {
                    decision: 'modified',
                    modifiedRootCause: 'payments connection pool exhausted',
                    modifiedDiagnosticSteps: steps,
                  }
                : { decision: 'accepted' },
            );
          expect(review.status).toBe(201);
          await waitFor(`comment ${index + 1}`, () =>
            receiver.requests.some(r => r.method === 'POST') ? true : undefined,
          );
        }
        // A rejection posts nothing.
        await request(server)
          .post(
            `/api/ai-triage/incidents/${incidentId}/hypotheses/${top.id}/reviews`,
          )
          .set('authorization', asUser)
          .send({ decision: 'rejected', comment: 'wrong' })
          .expect(201);
        await waitFor('all deliveries done', async () => {
          const res = await request(server)
            .get('/api/ai-triage/jobs')
            .query({ incidentId })
            .set('authorization', asUser);
          const deliveries = res.body.items.filter(
            (j: { type: string }) => j.type === 'deliver',
          );
          return deliveries.length === 3 &&
            deliveries.every((j: { status: string }) => j.status === 'done')
            ? true
            : undefined;
        });

        expect(pagerduty.requests.map(r => r.path)).toEqual([
          '/incidents/Q1W2E3R4/notes',
        ]);
        expect(jira.requests.map(r => r.path)).toEqual([
          '/rest/api/2/issue/OPS-42/comment',
        ]);
        expect(github.requests.map(r => r.path)).toEqual([
          '/repos/acme/shop/issues/12/comments',
        ]);
        const note = JSON.parse(pagerduty.requests[0].rawBody).note.content;
        expect(note).toContain(`Cause: ${top.rootCause}`);
        for (const step of top.diagnosticSteps) {
          expect(note).toContain(step);
        }
        expect(note).toContain(
          `http://portal.test/catalog/default/component/checkout/incidents?incident=${incidentId}`,
        );
        const jiraComment = JSON.parse(jira.requests[0].rawBody).body;
        expect(jiraComment).toContain('accepted with changes');
        expect(jiraComment).toContain(
          'Cause: payments connection pool exhausted',
        );
        expect(jiraComment).toContain('1. Check payments p95');
        expect(jiraComment).toContain('2. Roll back payments');
        const ghComment = JSON.parse(github.requests[0].rawBody).body;
        expect(ghComment).toContain(`Cause: ${top.rootCause}`);
        expect(github.requests[0].headers.accept).toBe(
          'application/vnd.github+json',
        );
      } finally {
        await backend.stop();
        await Promise.all([pagerduty.close(), jira.close(), github.close()]);
      }
    },
  );
});
