import { mockCredentials } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import {
  firingAlertmanagerWebhook,
  startAiTriageBackend,
  waitFor,
} from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';

jest.setTimeout(90_000);

async function count(knex: Knex, table: string): Promise<number> {
  const [row] = await knex(table).count({ n: '*' });
  return Number(row.n);
}

describe('the enrich and reason handlers', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'store nothing twice when both jobs run again after their workers died, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await startAiTriageBackend({ knex, entities: [] });
      const delivered = await request(server)
        .post('/api/ai-triage/webhooks/alertmanager')
        .set('Authorization', mockCredentials.service.header())
        .send(firingAlertmanagerWebhook());
      expect(delivered.status).toBe(202);

      const allDone = (attempts: number) => async () => {
        const jobs: Array<{ status: string; attempts: number }> = await knex(
          'jobs',
        ).select('status', 'attempts');
        return jobs.length === 2 &&
          jobs.every(j => j.status === 'done' && j.attempts === attempts)
          ? jobs
          : undefined;
      };
      await waitFor('the enrich and reason jobs to finish', allDone(1));
      const before = {
        contexts: await count(knex, 'context_documents'),
        runs: await count(knex, 'triage_runs'),
        hypotheses: await count(knex, 'hypotheses'),
      };
      expect(before.contexts).toBe(1);
      expect(before.runs).toBe(1);

      // Both jobs were held by a worker that died after writing its results but before
      // completing them: their leases expire and the queue hands them out again.
      await knex('jobs').update({
        status: 'running',
        lease_owner: 'died-after-writing',
        lease_expires_at: new Date(Date.now() - 1000),
      });
      await waitFor('both jobs to run a second time', allDone(2));

      expect({
        contexts: await count(knex, 'context_documents'),
        runs: await count(knex, 'triage_runs'),
        hypotheses: await count(knex, 'hypotheses'),
      }).toEqual(before);
      expect(await count(knex, 'jobs')).toBe(2);
    },
  );
});
