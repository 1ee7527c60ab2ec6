import { LoggerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import knexFactory from 'knex';
import { createTriagePipeline } from './createTriagePipeline';
import { exampleCatalog } from '../__testUtils__/scenarios';
import { webhookPayloads } from '../__testUtils__/webhookPayloads';

const silent: LoggerService = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child: () => silent,
};

describe('createTriagePipeline', () => {
  it('fails the triage of an incident whose job died with its worker on the last attempt', async () => {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    try {
      const pipeline = await createTriagePipeline(
        {
          config: new ConfigReader({
            aiTriage: { workers: { maxAttempts: 1 } },
          }),
          database: { getClient: async () => knex },
          logger: silent,
          events: mockServices.events(),
          auditor: mockServices.auditor.mock(),
        },
        { catalog: exampleCatalog },
      );
      const body = webhookPayloads.alertmanager();
      const { incidentIds } = await pipeline.ingestor.ingest(
        'alertmanager',
        body,
        Buffer.from(JSON.stringify(body)),
      );
      // A worker claims the only attempt with a 1 ms lease and never reports back (it died).
      const job = await pipeline.queue.claim('dead-worker', 1);
      expect(job).toMatchObject({ type: 'enrich', attempts: 1 });
      await new Promise(resolve => setTimeout(resolve, 20));
      expect(
        (await pipeline.incidents.getIncident(incidentIds[0]))!.triageState,
      ).not.toBe('failed');

      // The next claim finds the expired lease on the last attempt: the queue marks the job
      // dead and its dead-letter hook has the incident store fail the incident's triage.
      expect(await pipeline.queue.claim('w2', 60_000)).toBeUndefined();
      const [dead] = await pipeline.queue.listJobs({
        status: 'dead',
        limit: 5,
      });
      expect(dead).toMatchObject({ id: job!.id, status: 'dead' });
      expect(
        (await pipeline.incidents.getIncident(incidentIds[0]))!.triageState,
      ).toBe('failed');
      await pipeline.stop();
    } finally {
      await knex.destroy();
    }
  });
});
