/**
 * `npm run bench:kill`: what a kill -9 costs. The lean pipeline backend
 * (packages/backend/src/pipeline.ts, intake + enrich + reason, as the k8s Deployments run it) on
 * PostgreSQL takes an Alertmanager storm (default 3,000 alerts in 50-alert deliveries from 4
 * concurrent senders). It is SIGKILLed once during intake (after a third of the deliveries were
 * acknowledged) and once while triage jobs run, and started again each time on the same
 * database; the senders retry every delivery that got no 202, as Alertmanager does. When the
 * queue has drained it prints one JSON line: acknowledged alerts, alerts stored, lost and
 * duplicated, jobs by status and how many were claimed again after a kill, incidents and
 * incidents triaged more than once.
 *
 *   npm run bench:kill [-- --alerts 3000 --services 100]
 */
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import knexFactory, { Knex } from 'knex';
// The repository's test tooling (also used by scripts/test.mjs); benchmarks are not published.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { startPostgres } from '../../../scripts/lib/postgres.mjs';
import { startPipelineProcess } from './pipelineProcess';

const PG_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';
const TOKEN = 'bench-kill-webhook-token-0123456789';
const ALERTS_PER_DELIVERY = 50;
const ALERT_NAMES = ['HighErrorRate', 'HighLatency', 'PodCrashLooping'];

const { values: args } = parseArgs({
  options: {
    alerts: { type: 'string', default: '3000' },
    services: { type: 'string', default: '100' },
    senders: { type: 'string', default: '4' },
  },
});

/** The storm's deliveries, and every alert fingerprint in them. */
function storm(): { bodies: string[]; fingerprints: string[] } {
  const alertCount = Number(args.alerts);
  const services = Number(args.services);
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const alerts = Array.from({ length: alertCount }, (_, i) => {
    const service = `kill-svc-${i % services}`;
    const alertname =
      ALERT_NAMES[Math.floor(i / services) % ALERT_NAMES.length];
    return {
      status: 'firing',
      labels: { alertname, service, instance: `${service}-${i}:8080` },
      annotations: { summary: `${alertname} on ${service}` },
      startsAt,
      fingerprint: `kill-${i}`,
    };
  });
  const bodies: string[] = [];
  for (let i = 0; i < alerts.length; i += ALERTS_PER_DELIVERY) {
    bodies.push(
      JSON.stringify({
        version: '4',
        status: 'firing',
        receiver: 'ai-triage',
        groupKey: `{}:{storm="${i}"}`,
        alerts: alerts.slice(i, i + ALERTS_PER_DELIVERY),
      }),
    );
  }
  return { bodies, fingerprints: alerts.map(a => a.fingerprint) };
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = (server.address() as net.AddressInfo)!;
      server.close(() => done(port));
    });
  });
}

/** The pipeline backend with every stage, in its own process; resolves once it is ready. */
function startBackend(configFile: string, port: number) {
  return startPipelineProcess({
    configFile,
    port,
    name: 'backend',
    readyTimeoutMs: 300_000,
    stderr: 'ignore',
  });
}

function kill9(child: ChildProcess): Promise<unknown> {
  const exited = new Promise(done => child.once('exit', done));
  child.kill('SIGKILL');
  return exited;
}

async function waitUntil(what: string, check: () => Promise<boolean>) {
  const deadline = Date.now() + 900_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise(done => setTimeout(done, 250));
  }
}

async function run(connection: string) {
  const prefix = `bench_kill_${process.pid}_`;
  const database = `${prefix}ai-triage`;
  const admin = knexFactory({ client: 'pg', connection });
  await admin.raw('create database ??', [database]);
  await admin.destroy();
  const url = new URL(connection);
  url.pathname = `/${database}`;
  const knex: Knex = knexFactory({ client: 'pg', connection: url.toString() });

  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-kill-'));
  const configFile = join(dir, 'app-config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backend: {
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { port, host: '127.0.0.1' },
        database: { client: 'pg', connection, prefix },
        auth: {
          externalAccess: [
            {
              type: 'static',
              options: { token: TOKEN, subject: 'alertmanager' },
            },
          ],
        },
      },
      aiTriage: {
        workers: { stages: ['intake', 'enrich', 'reason'], leaseSeconds: 10 },
      },
    }),
  );

  const { bodies, fingerprints } = storm();
  let backend = await startBackend(configFile, port);
  const kills: string[] = [];
  const acknowledged = new Set<number>();
  const statuses: Record<string, number> = {};
  const loads: number[] = [loadavg()[0]];
  try {
    // Senders: each delivery until a 202, as Alertmanager retries.
    let next = 0;
    const send = async () => {
      while (next < bodies.length) {
        const index = next++;
        for (;;) {
          let status: string;
          try {
            const res = await fetch(
              `http://127.0.0.1:${port}/api/ai-triage/webhooks/alertmanager`,
              {
                method: 'POST',
                headers: {
                  authorization: `Bearer ${TOKEN}`,
                  'content-type': 'application/json',
                },
                body: bodies[index],
              },
            );
            await res.arrayBuffer();
            status = String(res.status);
          } catch {
            // Killed before it answered: no acknowledgement, so it is sent again.
            status = 'connection failed';
          }
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === '202') {
            acknowledged.add(index);
            break;
          }
          await new Promise(done => setTimeout(done, 500));
        }
      }
    };
    const sending = Promise.all(
      Array.from({ length: Number(args.senders) }, send),
    );
    await waitUntil(
      'a third of the deliveries',
      async () => acknowledged.size >= bodies.length / 3,
    );
    await kill9(backend);
    kills.push(
      `during intake, after ${acknowledged.size}/${bodies.length} deliveries acknowledged`,
    );
    loads.push(loadavg()[0]);
    backend = await startBackend(configFile, port);
    await sending;

    await waitUntil('triage under way', async () => {
      const [{ count }] = await knex('triage_runs').count({ count: '*' });
      return Number(count) > 0;
    });
    const [{ running }] = await knex('jobs')
      .where('status', 'running')
      .count({ running: '*' });
    await kill9(backend);
    kills.push(`during triage, with ${running} jobs running`);
    loads.push(loadavg()[0]);
    backend = await startBackend(configFile, port);

    await waitUntil('the queue to drain', async () => {
      const open = await knex('jobs')
        .whereIn('status', ['queued', 'running'])
        .first();
      return !open;
    });
    loads.push(loadavg()[0]);

    const stored = await knex('alerts').select('fingerprint');
    const storedSet = new Set(stored.map(a => a.fingerprint));
    const acknowledgedFingerprints = [...acknowledged].flatMap(i =>
      fingerprints.slice(
        i * ALERTS_PER_DELIVERY,
        (i + 1) * ALERTS_PER_DELIVERY,
      ),
    );
    const jobs: Array<{ status: string; count: string | number }> = await knex(
      'jobs',
    )
      .select('status')
      .count({ count: '*' })
      .groupBy('status');
    const [{ reclaimed }] = await knex('jobs')
      .where('attempts', '>', 1)
      .count({ reclaimed: '*' });
    const runsPerIncident = await knex('triage_runs')
      .select('incident_id')
      .count({ runs: '*' })
      .groupBy('incident_id');
    const [{ incidents }] = await knex('incidents').count({ incidents: '*' });
    console.log(
      JSON.stringify({
        alertsSent: fingerprints.length,
        deliveries: bodies.length,
        kills,
        requestStatuses: statuses,
        alertsAcknowledged: acknowledgedFingerprints.length,
        alertsStored: stored.length,
        acknowledgedLost: acknowledgedFingerprints.filter(
          f => !storedSet.has(f),
        ).length,
        duplicated: stored.length - storedSet.size,
        jobs: Object.fromEntries(jobs.map(j => [j.status, Number(j.count)])),
        jobsClaimedAgainAfterAKill: Number(reclaimed),
        incidents: Number(incidents),
        incidentsTriaged: runsPerIncident.length,
        incidentsTriagedMoreThanOnce: runsPerIncident.filter(
          r => Number(r.runs) > 1,
        ).length,
        loadAverage: loads.map(l => Math.round(l * 10) / 10),
      }),
    );
  } finally {
    if (backend.exitCode === null) await kill9(backend);
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const started = process.env[PG_ENV]
    ? undefined
    : await startPostgres({ settings: { fsync: 'off' } });
  const connection = process.env[PG_ENV] ?? started?.url;
  if (!connection) throw new Error('PostgreSQL is not installed');
  try {
    await run(connection);
  } finally {
    started?.stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
