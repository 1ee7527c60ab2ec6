/**
 * `npm run bench:pipeline`: throughput of the whole pipeline, alert in to hypotheses out, through
 * the real plugin over real HTTP with the workers on.
 *
 * A storm of Alertmanager webhooks (default 20,000 alerts over 500 services, four alert names
 * each, so 2,000 incidents) is sent by concurrent senders in a worker thread, while the queue
 * is sampled every 250 ms. For each database (SQLite in a file; PostgreSQL from
 * BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING, else one started on loopback as
 * `npm test` does) and each layout:
 *   - one:   one backend runs intake, enrich and reason;
 *   - split: intake in this process; on PostgreSQL enrich and reason each in its own process
 *            (the lean packages/backend/src/pipeline.ts backend, as the k8s Deployments run
 *            it); on SQLite, which serves one process, a second backend in this process;
 * it prints one JSON line: intake alerts/s, incidents triaged/s (from the first webhook to the
 * last hypotheses), queue lag p95 (the oldest waiting job's age), alert → hypotheses p50/p95
 * and peak RSS per process. The incidents' services have no telemetry, so enrichment reads
 * empty windows: this measures the pipeline's own cost, not the providers'.
 *
 *   npm run bench:pipeline [-- --alerts 20000 --services 500 --only postgres --layout split]
 */
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import knexFactory, { Knex } from 'knex';
import { aiTriagePlugin } from '../src/plugin';
import { DatabaseJobQueue } from '../src/queue/DatabaseJobQueue';
import { toIso } from '../src/sql/timestamps';
// The repository's test tooling (also used by scripts/test.mjs); benchmarks are not published.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { startPostgres } from '../../../scripts/lib/postgres.mjs';
import { startPipelineProcess } from './pipelineProcess';

const PG_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';
const ALERTS_PER_PAYLOAD = 50;
const ALERT_NAMES = [
  'HighErrorRate',
  'HighLatency',
  'PodCrashLooping',
  'CPUThrottling',
];

const { values: args } = parseArgs({
  options: {
    alerts: { type: 'string', default: '20000' },
    services: { type: 'string', default: '500' },
    senders: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '4' },
    only: { type: 'string' },
    layout: { type: 'string' },
    /** Print the statements that took the most database time (this process's knex only). */
    'sql-profile': { type: 'boolean', default: false },
  },
});
const alertCount = Number(args.alerts);
const serviceCount = Number(args.services);
const senders = Number(args.senders);
const concurrency = Number(args.concurrency);

/** The storm: per service, each alert name on instances, in 50-alert payloads. */
function stormPayloads(prefix: string): {
  bodies: string[];
  incidents: number;
} {
  const perService = Math.ceil(alertCount / serviceCount);
  const instances = Math.ceil(perService / ALERT_NAMES.length);
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const alerts: object[] = [];
  const keys = new Set<string>();
  for (let i = 0; i < instances && alerts.length < alertCount; i++) {
    for (let s = 0; s < serviceCount && alerts.length < alertCount; s++) {
      for (const alertname of ALERT_NAMES) {
        if (alerts.length >= alertCount) break;
        const service = `${prefix}-svc-${s}`;
        keys.add(`${service}/${alertname}`);
        alerts.push({
          status: 'firing',
          labels: { alertname, service, instance: `${service}-${i}:8080` },
          annotations: { summary: `${alertname} on ${service}` },
          startsAt,
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: `http://prometheus:9090/graph?g0.expr=${alertname}`,
          fingerprint: `${prefix}-${s}-${alertname}-${i}`,
        });
      }
    }
  }
  const bodies: string[] = [];
  for (let i = 0; i < alerts.length; i += ALERTS_PER_PAYLOAD) {
    bodies.push(
      JSON.stringify({
        version: '4',
        status: 'firing',
        receiver: 'ai-triage',
        groupKey: `{}:{storm="${prefix}-${i}"}`,
        alerts: alerts.slice(i, i + ALERTS_PER_PAYLOAD),
      }),
    );
  }
  return { bodies, incidents: keys.size };
}

const SENDERS_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { bodies, url, headers, concurrency } = workerData;
(async () => {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      // A kept-alive connection the server closes just then fails the request; the webhook
      // is idempotent (the same body is a duplicate delivery), so send it again.
      let res;
      for (let attempt = 1; ; attempt++) {
        try {
          res = await fetch(url, { method: 'POST', headers, body });
          break;
        } catch (error) {
          if (attempt >= 3) throw new Error(String(error) + ': ' + String(error.cause));
        }
      }
      const text = await res.text();
      if (res.status !== 202) {
        throw new Error('webhook answered ' + res.status + ': ' + text);
      }
    }
  }));
  parentPort.postMessage({ seconds: Number(process.hrtime.bigint() - started) / 1e9 });
})().catch(error => parentPort.postMessage({ error: String(error) }));
`;

function send(bodies: string[], url: string): Promise<number> {
  return new Promise((done, fail) => {
    const worker = new Worker(SENDERS_WORKER, {
      eval: true,
      workerData: {
        bodies,
        url,
        headers: {
          authorization: mockCredentials.service.header(),
          'content-type': 'application/json',
        },
        concurrency: senders,
      },
    });
    worker.once('message', result => {
      worker.terminate();
      if (result.error) fail(new Error(result.error));
      else done(result.seconds);
    });
    worker.once('error', fail);
  });
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => done(port));
    });
  });
}

/** Peak resident set of a process in MiB (VmHWM), while it runs. */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024);
}

function backendConfig(stages: string[]) {
  return mockServices.rootConfig.factory({
    data: {
      aiTriage: {
        workers: {
          stages,
          concurrency,
          // The storm's incidents are in the past minute: no reopen logic in the way.
        },
      },
    },
  });
}

async function startInProcess(knex: Knex, stages: string[]) {
  const backend = await startTestBackend({
    features: [
      aiTriagePlugin,
      catalogServiceMock.factory({ entities: [] }),
      mockServices.database.factory({ knex }),
      backendConfig(stages),
    ],
  });
  return backend;
}

/** A lean pipeline backend in its own process, as the k8s worker Deployments run it. */
async function startWorkerProcess(
  dir: string,
  stage: string,
  connection: string,
  prefix: string,
): Promise<ChildProcess> {
  const port = await freePort();
  const configFile = join(dir, `${stage}.yaml`);
  writeFileSync(
    configFile,
    JSON.stringify({
      backend: {
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { port, host: '127.0.0.1' },
        database: { client: 'pg', connection, prefix },
      },
      aiTriage: { workers: { stages: [stage], concurrency } },
    }),
  );
  return startPipelineProcess({
    configFile,
    port,
    name: `${stage} worker`,
    readyTimeoutMs: 180_000,
    stderr: 'inherit',
  });
}

type Run = {
  database: string;
  layout: string;
  knex: Knex;
  url: string;
  pids: Record<string, number>;
};

/** Time spent per statement, when --sql-profile is given. */
function profileSql(knex: Knex): () => Array<[string, number, number]> {
  const started = new Map<string, bigint>();
  const totals = new Map<string, { ms: number; count: number }>();
  knex.on('query', q => started.set(q.__knexQueryUid, process.hrtime.bigint()));
  knex.on('query-response', (_r, q) => {
    const t0 = started.get(q.__knexQueryUid);
    if (t0 === undefined) return;
    started.delete(q.__knexQueryUid);
    const sql = String(q.sql)
      .replace(/\(\?(, \?)*\)/g, '(?...)')
      .slice(0, 160);
    const total = totals.get(sql) ?? { ms: 0, count: 0 };
    total.ms += Number(process.hrtime.bigint() - t0) / 1e6;
    total.count += 1;
    totals.set(sql, total);
  });
  return () =>
    [...totals]
      .map(([sql, t]): [string, number, number] => [
        sql,
        Math.round(t.ms),
        t.count,
      ])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12);
}

async function measure(run: Run) {
  const sqlReport = args['sql-profile'] ? profileSql(run.knex) : undefined;
  const { bodies, incidents } = stormPayloads(`${run.database}-${run.layout}`);
  const queue = DatabaseJobQueue.create({ knex: run.knex });
  const lags: number[] = [];
  const peaks: Record<string, number> = {};
  const samplePeaks = () => {
    for (const [name, pid] of Object.entries(run.pids)) {
      peaks[name] = Math.max(peaks[name] ?? 0, peakRssMiB(pid));
    }
  };
  const started = Date.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      lags.push((await queue.stats()).oldestAgeMs);
      samplePeaks();
      await new Promise(done => setTimeout(done, 250));
    }
  })();
  const intakeSeconds = await send(bodies, run.url);
  let finished = 0;
  for (;;) {
    const [{ count }] = await run
      .knex('incidents')
      .whereIn('triage_state', ['triaged', 'failed'])
      .count({ count: '*' });
    finished = Number(count);
    if (finished >= incidents) break;
    if (Date.now() - started > 30 * 60_000) {
      throw new Error(`only ${finished}/${incidents} incidents triaged`);
    }
    await new Promise(done => setTimeout(done, 250));
  }
  const triageSeconds = (Date.now() - started) / 1000;
  sampling = false;
  await sampler;
  const rows: Array<{ started: any; finished: any }> = await run
    .knex('triage_runs as r')
    .join('jobs as j', on =>
      on.on('j.incident_id', 'r.incident_id').andOnVal('j.type', 'enrich'),
    )
    .select({ started: 'j.triage_started_at', finished: 'r.created_at' });
  const latencies = rows.map(
    r => Date.parse(toIso(r.finished)) - Date.parse(toIso(r.started)),
  );
  const failed = await run.knex('incidents').where('triage_state', 'failed');
  if (sqlReport) {
    for (const [sql, ms, count] of sqlReport()) {
      console.error(`${ms} ms  ${count}x  ${sql}`);
    }
  }
  return {
    database: run.database,
    layout: run.layout,
    alerts: alertCount,
    services: serviceCount,
    incidents,
    failed: failed.length,
    intakeAlertsPerSecond: round1(alertCount / intakeSeconds),
    incidentsTriagedPerSecond: round1(incidents / triageSeconds),
    queueLagP95Seconds: round1(percentile(lags, 95) / 1000),
    alertToHypothesesP50Seconds: round1(percentile(latencies, 50) / 1000),
    alertToHypothesesP95Seconds: round1(percentile(latencies, 95) / 1000),
    peakRssMiB: peaks,
    workerConcurrency: concurrency,
    load1m: round1(loadavg()[0]),
  };
}

function serverUrl(server: { address(): unknown }): string {
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}/api/ai-triage/webhooks/alertmanager`;
}

async function benchSqlite(layout: string) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: join(dir, 'ai-triage.sqlite') },
    useNullAsDefault: true,
  });
  const backends = [];
  try {
    if (layout === 'one') {
      backends.push(await startInProcess(knex, ['intake', 'enrich', 'reason']));
    } else {
      backends.push(await startInProcess(knex, ['intake']));
      backends.push(await startInProcess(knex, ['enrich', 'reason']));
    }
    return await measure({
      database: 'sqlite',
      layout,
      knex,
      url: serverUrl(backends[0].server),
      pids: { bench: process.pid },
    });
  } finally {
    for (const backend of backends) await backend.stop();
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(connection: string, layout: string) {
  const prefix = `bench_pipeline_${process.pid}_${layout}_`;
  const database = `${prefix}ai-triage`;
  const admin = knexFactory({ client: 'pg', connection });
  await admin.raw('create database ??', [database]);
  await admin.destroy();
  const url = new URL(connection);
  url.pathname = `/${database}`;
  const knex = knexFactory({
    client: 'pg',
    connection: url.toString(),
    pool: { min: 0, max: 20 },
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  const children: ChildProcess[] = [];
  let backend;
  try {
    backend = await startInProcess(
      knex,
      layout === 'one' ? ['intake', 'enrich', 'reason'] : ['intake'],
    );
    const pids: Record<string, number> = { bench: process.pid };
    if (layout === 'split') {
      for (const stage of ['enrich', 'reason']) {
        const child = await startWorkerProcess(dir, stage, connection, prefix);
        children.push(child);
        pids[stage] = child.pid!;
      }
    }
    return await measure({
      database: 'postgres',
      layout,
      knex,
      url: serverUrl(backend.server),
      pids,
    });
  } finally {
    for (const child of children) {
      const exited = new Promise(done => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    await backend?.stop();
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const layouts = args.layout ? [args.layout] : ['one', 'split'];
  if (args.only !== 'postgres') {
    for (const layout of layouts) {
      console.log(JSON.stringify(await benchSqlite(layout)));
    }
  }
  if (args.only !== 'sqlite') {
    const started = process.env[PG_ENV]
      ? undefined
      : await startPostgres({ settings: { fsync: 'off' } });
    const connection = process.env[PG_ENV] ?? started?.url;
    if (!connection) {
      console.warn('PostgreSQL not installed: PostgreSQL runs skipped');
      return;
    }
    try {
      for (const layout of layouts) {
        console.log(JSON.stringify(await benchPostgres(connection, layout)));
      }
    } finally {
      started?.stop();
    }
  }
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
