/**
 * A queue worker in its own process, for the crash test: it runs the real DatabaseJobQueue and
 * WorkerPool against the database in AI_TRIAGE_TEST_KNEX_CONFIG (JSON), prints `claimed <jobId>`
 * when its handler starts a job and then never finishes it, so the test can SIGKILL it mid-job.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs src/__testUtils__/queueWorkerProcess.ts
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import knexFactory from 'knex';
import { DatabaseJobQueue } from '../queue/DatabaseJobQueue';
import { Job } from '../queue/JobQueue';
import { WorkerPool } from '../queue/WorkerPool';

const stderrLogger: LoggerService = {
  error: message => process.stderr.write(`error: ${message}\n`),
  warn: message => process.stderr.write(`warn: ${message}\n`),
  info: message => process.stderr.write(`info: ${message}\n`),
  debug: () => {},
  child: () => stderrLogger,
};

const knex = knexFactory(JSON.parse(process.env.AI_TRIAGE_TEST_KNEX_CONFIG!));
const hang = {
  handle: (job: Job) => {
    process.stdout.write(`claimed ${job.id} ${job.leaseOwner}\n`);
    return new Promise<void>(() => {});
  },
};
WorkerPool.create({
  queue: DatabaseJobQueue.create({ knex, logger: stderrLogger }),
  handlers: { enrich: hang, reason: hang },
  concurrency: 1,
  leaseMs: Number(process.env.AI_TRIAGE_TEST_LEASE_MS ?? 2000),
  idlePollMs: 100,
  logger: stderrLogger,
}).start();
