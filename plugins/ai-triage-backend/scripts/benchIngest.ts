/**
 * `npm run bench:ingest`: alert intake throughput through the real plugin over real HTTP.
 *
 * For each database (SQLite in memory and in a file; PostgreSQL from
 * BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING, else one started on loopback as
 * `npm test` does) it starts the plugin on a test backend, sends Alertmanager webhooks of 50 alerts
 * from concurrent senders, writes the same rows straight through knex for comparison (and through
 * the store's ingest transaction without HTTP, to show where the difference goes), then sends
 * a storm of 100,000 alerts over 500 services and counts the incidents it left. It prints one JSON
 * line per database.
 *
 *   npm run bench:ingest [-- --senders 4 --payloads 400 --storm-alerts 100000 --only postgres]
 *
 * `load1m` in the output is the machine's load average when the database's run started: on a
 * shared machine, compare runs only at a similar load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
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
import { applyDatabaseMigrations } from '../src/database/migrations';
import { DatabaseIncidentStore } from '../src/database/DatabaseIncidentStore';
import { IngestDelivery } from '../src/database/IncidentStore';
import { correlationKey } from '../src/ingest/correlationKey';
// The repository's test tooling (also used by scripts/test.mjs); benchmarks are not published.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { startPostgres } from '../../../scripts/lib/postgres.mjs';

const PG_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';
const ALERTS_PER_PAYLOAD = 50;
const INSTANCES = 25;
const ALERT_NAMES = [
  'HighErrorRate',
  'HighLatency',
  'PodCrashLooping',
  'CPUThrottling',
];

const { values: args } = parseArgs({
  options: {
    senders: { type: 'string', default: '4' },
    payloads: { type: 'string', default: '400' },
    'storm-alerts': { type: 'string', default: '100000' },
    'storm-services': { type: 'string', default: '500' },
    only: { type: 'string' },
  },
});
const senders = Number(args.senders);
const throughputPayloads = Number(args.payloads);
const stormAlerts = Number(args['storm-alerts']);
const stormServices = Number(args['storm-services']);

type AlertmanagerAlert = {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
};

/**
 * Alerts of `services` services, each firing 4 alert names on 25 instances (100 distinct alerts
 * per service), `rounds` times over (Alertmanager re-notifies), in 50-alert Alertmanager payloads.
 */
function alertmanagerPayloads(
  prefix: string,
  services: number,
  rounds: number,
  limit: number,
): { bodies: string[]; alerts: number; incidents: number; distinct: number } {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const all: AlertmanagerAlert[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let s = 0; s < services; s++) {
      for (const [n, alertname] of ALERT_NAMES.entries()) {
        for (let i = 0; i < INSTANCES; i++) {
          const service = `${prefix}-svc-${s}`;
          all.push({
            status: 'firing',
            labels: {
              alertname,
              service,
              namespace: 'prod',
              severity: i % 5 === 0 ? 'critical' : 'warning',
              instance: `${service}-${i}:8080`,
            },
            annotations: {
              summary: `${alertname} on ${service} instance ${i}`,
              description: `round ${round}`,
            },
            startsAt,
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: `http://prometheus:9090/graph?g0.expr=${alertname}`,
            fingerprint: `${prefix}-${s}-${n}-${i}`,
          });
        }
      }
    }
  }
  const alerts = all.slice(0, limit);
  const bodies: string[] = [];
  for (let i = 0; i < alerts.length; i += ALERTS_PER_PAYLOAD) {
    const group = alerts.slice(i, i + ALERTS_PER_PAYLOAD);
    bodies.push(
      JSON.stringify({
        version: '4',
        groupKey: `{}:{service="${group[0].labels.service}"}`,
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'ai-triage',
        groupLabels: { service: group[0].labels.service },
        commonLabels: { service: group[0].labels.service, namespace: 'prod' },
        commonAnnotations: {},
        externalURL: 'http://alertmanager:9093',
        alerts: group,
      }),
    );
  }
  const keys = new Set(
    alerts.map(a => `${a.labels.service}/${a.labels.alertname}`),
  );
  const distinct = new Set(alerts.map(a => a.fingerprint));
  return {
    bodies,
    alerts: alerts.length,
    incidents: keys.size,
    distinct: distinct.size,
  };
}

/** Runs `work` over `items` with `concurrency` loops; returns each call's latency in ms. */
async function runConcurrently<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++];
        const t0 = process.hrtime.bigint();
        await work(item);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  return {
    latencies,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

/**
 * The HTTP senders run in a worker thread, as real senders are other processes: the backend's
 * event loop serves requests and the senders' work does not queue behind it.
 */
const SENDERS_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { bodies, url, headers, concurrency } = workerData;
(async () => {
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const t0 = process.hrtime.bigint();
      const res = await fetch(url, { method: 'POST', headers, body });
      const text = await res.text();
      if (res.status !== 202) {
        throw new Error('webhook answered ' + res.status + ': ' + text);
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }));
  parentPort.postMessage({ latencies, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
})().catch(error => parentPort.postMessage({ error: String(error) }));
`;

function sendFromWorker(
  bodies: string[],
  url: string,
  headers: Record<string, string>,
  concurrency: number,
): Promise<{ latencies: number[]; seconds: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SENDERS_WORKER, {
      eval: true,
      workerData: { bodies, url, headers, concurrency },
    });
    worker.once('message', result => {
      worker.terminate();
      if (result.error) {
        reject(new Error(result.error));
      } else {
        resolve(result);
      }
    });
    worker.once('error', reject);
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The rows the intake stores for a payload, written straight through knex in one transaction
 * per payload: the delivery, its incidents, its alerts and one enrich job per new incident.
 */
async function writeDirect(knex: Knex, body: string): Promise<void> {
  const payload = JSON.parse(body) as { alerts: AlertmanagerAlert[] };
  const now = new Date();
  const incidents = new Map<string, string>();
  for (const a of payload.alerts) {
    const key = `${a.labels.service}/${a.labels.alertname}`;
    if (!incidents.has(key)) {
      incidents.set(key, randomUUID());
    }
  }
  await knex.transaction(async tx => {
    await tx('deliveries').insert({
      id: randomUUID(),
      source: 'alertmanager',
      delivery_key: randomUUID(),
      alert_count: payload.alerts.length,
      incident_ids: JSON.stringify([...incidents.values()]),
      received_at: now,
    });
    await tx('incidents').insert(
      [...incidents].map(([key, id]) => ({
        id,
        correlation_key: key,
        active_key: `${key}/${id}`,
        title: key,
        entity_ref: null,
        service_name: key.split('/')[0],
        namespace: 'prod',
        cluster: null,
        severity: 'critical',
        status: 'open',
        triage_state: 'pending',
        first_seen_at: now,
        last_seen_at: now,
        resolved_at: null,
        updated_at: now,
      })),
    );
    await tx('alerts').insert(
      payload.alerts.map(a => ({
        id: randomUUID(),
        incident_id: incidents.get(`${a.labels.service}/${a.labels.alertname}`),
        source: 'alertmanager',
        fingerprint: a.fingerprint,
        name: a.labels.alertname,
        status: a.status,
        severity: a.labels.severity,
        starts_at: new Date(a.startsAt),
        ends_at: null,
        labels: JSON.stringify(a.labels),
        annotations: JSON.stringify(a.annotations),
        resource: JSON.stringify({ 'service.name': a.labels.service }),
        generator_url: a.generatorURL,
        received_at: now,
      })),
    );
    await tx('jobs').insert(
      [...incidents.values()].map(id => ({
        type: 'enrich',
        incident_id: id,
        status: 'queued',
        attempts: 0,
        max_attempts: 5,
        run_after: now,
        created_at: now,
        updated_at: now,
      })),
    );
  });
}

/** The delivery the intake hands the store for a payload, built without the HTTP layer. */
function toDelivery(body: string): IngestDelivery {
  const payload = JSON.parse(body) as { alerts: AlertmanagerAlert[] };
  return {
    source: 'alertmanager',
    deliveryKey: randomUUID(),
    alerts: payload.alerts.map(a => {
      const alert = {
        source: 'alertmanager' as const,
        fingerprint: a.fingerprint,
        name: a.labels.alertname,
        status: a.status,
        severity: a.labels.severity === 'critical' ? 'critical' : 'warning',
        startsAt: a.startsAt,
        endsAt: null,
        labels: a.labels,
        annotations: a.annotations,
        generatorURL: a.generatorURL,
        resource: {
          'service.name': a.labels.service,
          'k8s.namespace.name': a.labels.namespace,
        },
      } as IngestDelivery['alerts'][number]['alert'];
      return { alert, correlationKey: correlationKey(alert), entityRef: null };
    }),
  };
}

type Target = {
  database: string;
  /** A fresh, empty database; `close` drops it. */
  open(): Promise<{ knex: Knex; close(): Promise<void> }>;
};

/** SQLite in memory, or in a file in a temporary folder (as a single-node install keeps it). */
function sqliteTarget(storage: 'memory' | 'file'): Target {
  return {
    database: `sqlite (better-sqlite3, ${storage})`,
    async open() {
      const dir =
        storage === 'file'
          ? mkdtempSync(join(tmpdir(), 'ai-triage-bench-sqlite-'))
          : undefined;
      const knex = knexFactory({
        client: 'better-sqlite3',
        connection: dir
          ? { filename: join(dir, 'ai-triage.sqlite') }
          : ':memory:',
        useNullAsDefault: true,
      });
      return {
        knex,
        async close() {
          await knex.destroy();
          if (dir) {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    },
  };
}

function postgresTarget(url: string): Target {
  const admin = knexFactory({ client: 'pg', connection: url });
  return {
    database: 'postgresql',
    async open() {
      const name = `bench_ingest_${randomUUID()
        .replace(/-/g, '')
        .slice(0, 12)}`;
      await admin.raw('create database ??', [name]);
      const connection = new URL(url);
      connection.pathname = `/${name}`;
      const knex = knexFactory({
        client: 'pg',
        connection: connection.toString(),
        pool: { min: 0, max: 20 },
      });
      return {
        knex,
        async close() {
          await knex.destroy();
          await admin.raw('drop database if exists ?? with (force)', [name]);
        },
      };
    },
  };
}

async function count(knex: Knex, table: string): Promise<number> {
  const [row] = await knex(table).count({ n: '*' });
  return Number(row.n);
}

async function bench(target: Target) {
  const load1m = Math.round(loadavg()[0] * 10) / 10;
  const direct = await target.open();
  const served = await target.open();
  const stored = await target.open();
  try {
    await applyDatabaseMigrations(direct.knex);
    await applyDatabaseMigrations(stored.knex);
    const store = DatabaseIncidentStore.create({
      knex: stored.knex,
      reopenWindowMs: 3_600_000,
      maxAttempts: 5,
    });
    const { server } = await startTestBackend({
      features: [
        aiTriagePlugin,
        catalogServiceMock.factory({ entities: [] }),
        mockServices.database.factory({ knex: served.knex }),
        mockServices.rootConfig.factory({
          // Intake only: the enrich/reason workers would compete for the same two cores.
          data: { aiTriage: { workers: { enabled: false } } },
        }),
      ],
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/api/ai-triage/webhooks/alertmanager`;
    const headers = {
      'content-type': 'application/json',
      authorization: mockCredentials.service.header(),
    };
    const send = (bodies: string[]) =>
      sendFromWorker(bodies, url, headers, senders);

    const services = Math.ceil(
      (throughputPayloads * ALERTS_PER_PAYLOAD) /
        (ALERT_NAMES.length * INSTANCES),
    );
    const warmup = alertmanagerPayloads('warm', 2, 1, 400);
    await send(warmup.bodies);
    const load = alertmanagerPayloads(
      'tp',
      services,
      1,
      throughputPayloads * ALERTS_PER_PAYLOAD,
    );
    // HTTP and direct writes take turns in rounds, so a change in the machine's load during the
    // run weighs on both alike.
    const http = { latencies: [] as number[], seconds: 0 };
    const directRun = { seconds: 0 };
    const storeRun = { seconds: 0 };
    const rounds = 4;
    const perRound = Math.ceil(load.bodies.length / rounds);
    for (let r = 0; r < rounds; r++) {
      const bodies = load.bodies.slice(r * perRound, (r + 1) * perRound);
      const viaHttp = await send(bodies);
      http.latencies.push(...viaHttp.latencies);
      http.seconds += viaHttp.seconds;
      const viaKnex = await runConcurrently(bodies, senders, body =>
        writeDirect(direct.knex, body),
      );
      directRun.seconds += viaKnex.seconds;
      const deliveries = bodies.map(toDelivery);
      const viaStore = await runConcurrently(deliveries, senders, async d => {
        await store.ingest(d);
      });
      storeRun.seconds += viaStore.seconds;
    }
    const httpRate = load.alerts / http.seconds;
    const directRate = load.alerts / directRun.seconds;

    const storm = alertmanagerPayloads(
      'storm',
      stormServices,
      Math.max(
        1,
        Math.ceil(
          stormAlerts / (stormServices * ALERT_NAMES.length * INSTANCES),
        ),
      ),
      stormAlerts,
    );
    const before = {
      incidents: await count(served.knex, 'incidents'),
      alerts: await count(served.knex, 'alerts'),
    };
    const stormRun = await send(storm.bodies);
    const after = {
      incidents: await count(served.knex, 'incidents'),
      alerts: await count(served.knex, 'alerts'),
    };
    await server.stop?.();

    return {
      database: target.database,
      load1m,
      payloadAlerts: ALERTS_PER_PAYLOAD,
      senders,
      alerts: load.alerts,
      httpAlertsPerSec: Math.round(httpRate),
      directAlertsPerSec: Math.round(directRate),
      httpToDirectRatio: Math.round((httpRate / directRate) * 100) / 100,
      // The store's ingest transaction alone (no HTTP, parsing or auth), for locating the gap.
      storeAlertsPerSec: Math.round(load.alerts / storeRun.seconds),
      p50Ms: round1(percentile(http.latencies, 50)),
      p99Ms: round1(percentile(http.latencies, 99)),
      storm: {
        alerts: storm.alerts,
        services: stormServices,
        alertsPerSec: Math.round(storm.alerts / stormRun.seconds),
        p99Ms: round1(percentile(stormRun.latencies, 99)),
        incidents: after.incidents - before.incidents,
        expectedIncidents: storm.incidents,
        alertRows: after.alerts - before.alerts,
        expectedAlertRows: storm.distinct,
      },
    };
  } finally {
    await served.close();
    await direct.close();
    await stored.close();
  }
}

async function main() {
  const targets: Target[] = [];
  let started: { url: string; stop(): void } | undefined;
  if (!args.only || args.only === 'sqlite') {
    targets.push(sqliteTarget('memory'), sqliteTarget('file'));
  }
  if (!args.only || args.only === 'postgres') {
    let url = process.env[PG_ENV];
    if (!url) {
      started = await startPostgres({ prefix: 'ai-triage-bench-pg-' });
      url = started?.url;
    }
    if (url) {
      targets.push(postgresTarget(url));
    } else {
      process.stderr.write(
        `PostgreSQL not found and ${PG_ENV} not set: skipping it\n`,
      );
    }
  }
  try {
    for (const target of targets) {
      process.stdout.write(`${JSON.stringify(await bench(target))}\n`);
    }
  } finally {
    started?.stop();
  }
  process.exit(0);
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
