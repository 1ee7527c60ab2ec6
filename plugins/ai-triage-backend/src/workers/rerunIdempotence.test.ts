import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import request from 'supertest';
import { aiTriagePlugin } from '../plugin';
import { createTestDatabases } from '../__testUtils__/testDatabases';

jest.setTimeout(90_000);

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

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
      const { server } = await startTestBackend({
        features: [
          aiTriagePlugin,
          catalogServiceMock.factory({ entities: [] }),
          mockServices.database.factory({ knex }),
        ],
      });
      const delivered = await request(server)
        .post('/api/ai-triage/webhooks/alertmanager')
        .set('Authorization', mockCredentials.service.header())
        .send({
          version: '4',
          status: 'firing',
          receiver: 'ai-triage',
          groupKey: '{}:{alertname="HighErrorRate"}',
          alerts: [
            {
              status: 'firing',
              labels: { alertname: 'HighErrorRate', service: 'checkout' },
              annotations: {},
              startsAt: new Date().toISOString(),
              fingerprint: 'f1',
            },
          ],
        });
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
