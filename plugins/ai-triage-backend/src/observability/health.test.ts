import request from 'supertest';
import { aiTriageRootHealthServiceFactory } from './PipelineHealth';
import {
  deliverScenario,
  startAiTriageBackend,
  waitFor,
} from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { FakeChatCompletionsServer } from '../reasoning/__testUtils__/FakeChatCompletionsServer';

jest.setTimeout(60_000);

describe('readiness', () => {
  const databases = createTestDatabases();
  let llm: FakeChatCompletionsServer;

  beforeAll(async () => {
    // Every LLM call fails, so the breaker opens after the first.
    llm = await FakeChatCompletionsServer.start();
  });
  afterAll(() => llm.stop());

  it.each(databases.eachSupportedId())(
    'reports the database, the queue, the LLM breaker and the providers, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await startAiTriageBackend({
        knex,
        config: {
          aiTriage: {
            reasoning: {
              llm: {
                baseUrl: llm.baseUrl,
                model: 'triage-model',
                maxRetries: 0,
                circuitBreaker: { failureThreshold: 1 },
              },
            },
          },
        },
        features: [aiTriageRootHealthServiceFactory],
      });
      const readiness = () =>
        request(server).get('/.backstage/health/v1/readiness');

      const before = await readiness();
      expect(before.status).toBe(200);
      expect(before.body).toMatchObject({
        status: 'ok',
        aiTriage: {
          database: { status: 'ok' },
          queue: { status: 'ok', depth: 0, oldestAgeSeconds: 0 },
          llm: { status: 'ok', circuit: 'closed' },
        },
      });

      // A triage through the failing LLM: the breaker opens, the heuristic answers.
      const incidentId = await deliverScenario(server);
      await waitFor('the triage', async () =>
        (
          await knex('incidents').where('id', incidentId).first()
        )?.triage_state === 'triaged'
          ? true
          : undefined,
      );
      const degraded = await readiness();
      expect(degraded.status).toBe(200);
      expect(degraded.body.aiTriage).toMatchObject({
        llm: { status: 'warn', circuit: 'open' },
        telemetryProviders: {
          status: 'ok',
          providers: { embedded: { ok: true } },
        },
      });

      // Without its database the process is not ready.
      await knex.destroy();
      const down = await readiness();
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({
        status: 'error',
        aiTriage: { database: { status: 'fail' } },
      });
    },
  );
});
