import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import { mockServices } from '@backstage/backend-test-utils';
import knexFactory, { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { waitFor } from '../__testUtils__/testBackend';
import { applyDatabaseMigrations } from '../database/migrations';
import { DatabaseJobQueue, JOBS_CHANNEL, insertJob } from './DatabaseJobQueue';
import { Job } from './JobQueue';
import { JobHandler, WorkerPool } from './WorkerPool';

jest.setTimeout(120_000);

const logger = mockServices.logger.mock();

async function enqueue(knex: Knex, count: number, prefix = 'incident') {
  await knex.transaction(async tx => {
    for (let i = 0; i < count; i++) {
      await insertJob(tx, {
        type: i % 2 ? 'reason' : 'enrich',
        incidentId: `${prefix}-${i}`,
        maxAttempts: 3,
      });
    }
  });
}

/** Counts handler executions per job, for the instance it belongs to. */
function countingHandler(runs: Map<string, string[]>, instance: string) {
  const handler: JobHandler = {
    async handle(job: Job) {
      runs.set(job.id, [...(runs.get(job.id) ?? []), instance]);
      await new Promise(r => setTimeout(r, Math.random() * 5));
    },
  };
  return { enrich: handler, reason: handler };
}

async function jobCounts(knex: Knex): Promise<Record<string, number>> {
  const rows: Array<{ status: string; n: number | string }> = await knex('jobs')
    .groupBy('status')
    .select('status')
    .count({ n: '*' });
  return Object.fromEntries(rows.map(r => [r.status, Number(r.n)]));
}

describe('WorkerPool', () => {
  const databases = createTestDatabases();
  const postgres = databases
    .eachSupportedId()
    .filter(([id]) => id.startsWith('POSTGRES'));
  const pools: WorkerPool[] = [];
  const extraKnexes: Knex[] = [];

  afterEach(async () => {
    await Promise.all(pools.splice(0).map(p => p.stop()));
    await Promise.all(extraKnexes.splice(0).map(k => k.destroy()));
  });

  function startPool(
    knex: Knex,
    handlers: Partial<Record<Job['type'], JobHandler>>,
    options: {
      concurrency?: number;
      leaseMs?: number;
      idlePollMs?: number;
      onFailure?: (job: Job, error: Error) => Promise<void>;
    },
  ) {
    const queue = DatabaseJobQueue.create({ knex, logger });
    const pool = WorkerPool.create({
      queue,
      handlers,
      onFailure: options.onFailure,
      concurrency: options.concurrency ?? 2,
      leaseMs: options.leaseMs ?? 60_000,
      idlePollMs: options.idlePollMs ?? 1000,
      logger,
    });
    pool.start();
    pools.push(pool);
    return { queue, pool };
  }

  /** A second connection pool on the same database, as a second backend replica has. */
  function secondInstance(knex: Knex): Knex {
    const other = knexFactory(knex.client.config);
    extraKnexes.push(other);
    return other;
  }

  it.each(databases.eachSupportedId())(
    'runs every job exactly once, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const runs = new Map<string, string[]>();
      const { queue } = startPool(knex, countingHandler(runs, 'a'), {
        concurrency: 4,
      });
      for (let batch = 0; batch < 10; batch++) {
        await enqueue(knex, 10, `b${batch}`);
        queue.notifyEnqueued();
      }
      await waitFor('all jobs done', async () =>
        (await jobCounts(knex)).done === 100 ? true : undefined,
      );
      expect(runs.size).toBe(100);
      expect([...runs.values()].every(r => r.length === 1)).toBe(true);
    },
  );

  it.each(databases.eachSupportedId())(
    'goes on with the next job when recording a dead job fails, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      await knex.transaction(tx =>
        insertJob(tx, { type: 'enrich', incidentId: 'doomed', maxAttempts: 1 }),
      );
      const done: string[] = [];
      const handler: JobHandler = {
        async handle(job) {
          if (job.incidentId === 'doomed') {
            throw new Error('provider down');
          }
          done.push(job.incidentId);
        },
      };
      const failures: string[] = [];
      const { queue } = startPool(
        knex,
        { enrich: handler, reason: handler },
        {
          concurrency: 1,
          // Marking the incident failed hits a database outage.
          onFailure: async job => {
            failures.push(job.incidentId);
            throw new Error('connection terminated');
          },
        },
      );
      await waitFor('the dead job to be reported', () => failures[0]);

      await enqueue(knex, 1, 'after-outage');
      queue.notifyEnqueued();
      await waitFor('the next job to run', () => done[0]);
      expect(done).toEqual(['after-outage-0']);
      expect(await jobCounts(knex)).toEqual({ dead: 1, done: 1 });
    },
  );

  if (postgres.length === 0) {
    return;
  }

  it.each(postgres)(
    'two backend instances on one PostgreSQL never run a job twice, %p',
    async databaseId => {
      const knexA = await databases.init(databaseId);
      await applyDatabaseMigrations(knexA);
      const knexB = secondInstance(knexA);
      const runs = new Map<string, string[]>();
      startPool(knexA, countingHandler(runs, 'a'), { concurrency: 4 });
      startPool(knexB, countingHandler(runs, 'b'), { concurrency: 4 });

      // Both instances enqueue, as both take webhooks behind a load balancer.
      for (let batch = 0; batch < 20; batch++) {
        await enqueue(batch % 2 ? knexA : knexB, 20, `b${batch}`);
      }
      await waitFor('all 400 jobs done', async () =>
        (await jobCounts(knexA)).done === 400 ? true : undefined,
      );
      expect(runs.size).toBe(400);
      const twice = [...runs.entries()].filter(([, r]) => r.length > 1);
      expect(twice).toEqual([]);
      const byInstance = [...runs.values()].flat();
      expect(byInstance.filter(i => i === 'a').length).toBeGreaterThan(0);
      expect(byInstance.filter(i => i === 'b').length).toBeGreaterThan(0);
      const attempts = await knexA('jobs').max({ max: 'attempts' });
      expect(Number(attempts[0].max)).toBe(1);
    },
  );

  it.each(postgres)(
    'wakes the workers of another instance through NOTIFY, also after its listener connection drops, %p',
    async databaseId => {
      const knexA = await databases.init(databaseId);
      await applyDatabaseMigrations(knexA);
      const knexB = secondInstance(knexA);
      const runs = new Map<string, string[]>();
      // An idle poll longer than the test: only a notification can wake instance B in time.
      const { queue } = startPool(knexB, countingHandler(runs, 'b'), {
        idlePollMs: 600_000,
      });
      await queue.listening();
      const listenerPid = async () => {
        const rows = await knexA('pg_stat_activity')
          .where({ datname: knexA.raw('current_database()') })
          .andWhere('query', `LISTEN ${JOBS_CHANNEL}`)
          .select('pid');
        return rows.map(r => Number(r.pid));
      };
      const [firstPid] = await waitFor('the listener connection', async () =>
        (await listenerPid()).length === 1 ? listenerPid() : undefined,
      );

      await enqueue(knexA, 1, 'first');
      await waitFor('instance B to run the first job', () =>
        runs.size === 1 ? true : undefined,
      );

      await knexA.raw('select pg_terminate_backend(?)', [firstPid]);
      await waitFor(
        'a new listener connection',
        async () => {
          const pids = await listenerPid();
          return pids.length === 1 && pids[0] !== firstPid ? true : undefined;
        },
        60_000,
      );
      await enqueue(knexA, 1, 'second');
      await waitFor('instance B to run the second job', () =>
        runs.size === 2 ? true : undefined,
      );
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining(`Lost the ${JOBS_CHANNEL} listener connection`),
        expect.anything(),
      );
    },
  );

  it.each(postgres)(
    'finishes the job of a worker process killed mid-job once its lease expires, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      await enqueue(knex, 1, 'crash');
      const [{ id: jobId }] = await knex('jobs').select('id');

      const child = spawn(
        process.execPath,
        [
          '--require',
          '@backstage/cli/config/nodeTransform.cjs',
          resolvePath(__dirname, '../__testUtils__/queueWorkerProcess.ts'),
        ],
        {
          cwd: resolvePath(__dirname, '../..'),
          env: {
            ...process.env,
            AI_TRIAGE_TEST_KNEX_CONFIG: JSON.stringify(knex.client.config),
            AI_TRIAGE_TEST_LEASE_MS: '1500',
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const exited = once(child, 'exit');
      try {
        const lines = createInterface({ input: child.stdout! });
        const [claimed] = (await Promise.race([
          once(lines, 'line'),
          exited.then(([code]) => {
            throw new Error(`worker process exited early with ${code}`);
          }),
        ])) as [string];
        expect(claimed).toMatch(new RegExp(`^claimed ${jobId} `));
        const childOwner = claimed.split(' ')[2];
        child.kill('SIGKILL');
        const [, signal] = await exited;
        expect(signal).toBe('SIGKILL');

        const killedJob = await knex('jobs').where('id', jobId).first();
        expect(killedJob).toMatchObject({
          status: 'running',
          lease_owner: childOwner,
          attempts: 1,
        });

        const runs = new Map<string, string[]>();
        startPool(knex, countingHandler(runs, 'survivor'), {
          idlePollMs: 100,
        });
        const finished = await waitFor(
          'the survivor to finish the job',
          async () => {
            const row = await knex('jobs').where('id', jobId).first();
            return row.status === 'done' ? row : undefined;
          },
        );
        expect(finished).toMatchObject({ attempts: 2, lease_owner: null });
        expect(runs.get(String(jobId))).toEqual(['survivor']);
      } finally {
        child.kill('SIGKILL');
      }
    },
  );
});
