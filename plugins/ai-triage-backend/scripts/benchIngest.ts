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
import { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { aiTriagePlugin } from '../src/plugin';
import { applyDatabaseMigrations } from '../src/database/migrations';
import { DatabaseIncidentStore } from '../src/database/DatabaseIncidentStore';
// The repository's test tooling (also used by scripts/test.mjs); benchmarks are not published.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { startPostgres } from '../../../scripts/lib/postgres.mjs';
import {
  Target,
  count,
  postgresTarget,
  sqliteTarget,
} from './ingestBench/databases';
import {
  ALERTS_PER_PAYLOAD,
  ALERT_NAMES,
  INSTANCES,
  alertmanagerPayloads,
  toDelivery,
  writeDirect,
} from './ingestBench/payloads';
import {
  percentile,
  round1,
  runConcurrently,
  sendFromWorker,
} from './ingestBench/senders';

const PG_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';

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
