import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { DatabaseJobQueue } from '../queue/DatabaseJobQueue';
import {
  firingAlertmanagerWebhook,
  startAiTriageBackend,
} from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';

jest.setTimeout(60_000);

describe('the jobs API', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'reports queue stats, and lists a dead job with its last error, on a replica whose workers are off, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await startAiTriageBackend({
        knex,
        entities: [],
        config: { aiTriage: { workers: { enabled: false, maxAttempts: 1 } } },
      });
      const delivered = await request(server)
        .post('/api/ai-triage/webhooks/alertmanager')
        .set('Authorization', mockCredentials.service.header())
        .send(firingAlertmanagerWebhook());
      expect(delivered.status).toBe(202);

      const res = await request(server)
        .get('/api/ai-triage/jobs/stats')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        depth: 1,
        dead: 0,
        counts: [{ type: 'enrich', status: 'queued', count: 1 }],
      });
      expect(res.body.oldestAgeMsByType.enrich).toBeGreaterThanOrEqual(0);

      // A worker elsewhere fails the job on its only attempt: it is dead, with its error.
      const queue = DatabaseJobQueue.create({ knex });
      const job = await queue.claim('worker-elsewhere', 60_000);
      await queue.fail(job!, 'worker-elsewhere', new Error('provider down'));
      const dead = await request(server)
        .get('/api/ai-triage/jobs?status=dead')
        .set('Authorization', mockCredentials.user.header());
      expect(dead.status).toBe(200);
      expect(dead.body.items).toEqual([
        expect.objectContaining({
          id: job!.id,
          type: 'enrich',
          status: 'dead',
          attempts: 1,
          lastError: 'Error: provider down',
        }),
      ]);
      const stats = await request(server)
        .get('/api/ai-triage/jobs/stats')
        .set('Authorization', mockCredentials.user.header());
      expect(stats.body).toMatchObject({
        depth: 0,
        dead: 1,
        counts: [{ type: 'enrich', status: 'dead', count: 1 }],
      });
    },
  );
});
