// Runs the lab shop for one scenario: PostgreSQL, the externals, the instrumented services, a
// real Prometheus scraping them with the shop's alert rules, a real Alertmanager posting to the
// triage webhook, and the load generator; switches the scenario's fault on after its healthy
// period; stops everything. Telemetry and webhooks go through the recording proxy to the target.
import { spawn, execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../../../scripts/lib/freePort.mjs';
import { startPostgres } from '../../../scripts/lib/postgres.mjs';
import { scenarioByName, truthOf } from '../faults.mjs';
import { startLoad } from '../loadgen.mjs';
import { startRecorder } from './recorder.mjs';

const LAB = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
export const RECORDING_FORMAT = 'ai-triage-lab-recording';
export const RECORDING_VERSION = 1;

/** The shop's processes, in start order: externals first, then callees before callers. */
const SERVICES = [
  { name: 'payment-provider', external: true, version: 'external' },
  { name: 'carrier-api', external: true, version: 'external' },
  { name: 'inventory', version: '2.2.0' },
  { name: 'shipping', version: '1.8.1' },
  { name: 'payments', version: '3.0.4' },
  { name: 'checkout', version: '1.4.2' },
  { name: 'fulfillment', version: '1.1.0' },
  { name: 'storefront', version: '5.2.0' },
];

const SCHEMA = `
  CREATE TABLE stock (sku text PRIMARY KEY, available bigint NOT NULL);
  INSERT INTO stock SELECT 'sku-' || n, 1000000000000 FROM generate_series(1, 20) n;
  CREATE TABLE stock_movements (id bigserial PRIMARY KEY, sku text NOT NULL, qty int NOT NULL);
  INSERT INTO stock_movements (sku, qty) SELECT 'sku-' || (1 + n % 20), 1 FROM generate_series(1, 300000) n;
  CREATE INDEX stock_movements_sku ON stock_movements (sku);
  CREATE TABLE orders (id text PRIMARY KEY, amount_cents int NOT NULL, status text NOT NULL);
  CREATE TABLE order_events (id bigserial PRIMARY KEY, order_id text NOT NULL, payload text NOT NULL,
    traceparent text, status text NOT NULL DEFAULT 'pending');
  CREATE INDEX order_events_pending ON order_events (status, id);
  ANALYZE;
`;

function packageVersion(name) {
  for (const root of [
    join(LAB, 'node_modules'),
    join(LAB, '..', '..', 'node_modules'),
  ]) {
    try {
      return JSON.parse(readFileSync(join(root, name, 'package.json'), 'utf8'))
        .version;
    } catch {}
  }
  return null;
}

function versionOf(command) {
  try {
    return execFileSync(command, ['--version'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .toString()
      .split('\n')[0]
      .trim();
  } catch {
    return null;
  }
}

async function waitForPort(port, what, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise(resolve => {
      const socket = require('node:net').connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not listen on port ${port}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

async function waitForUrl(url, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${what} not ready at ${url}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

function makeCertificates(dir) {
  const make = prefix =>
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, `${prefix}.key`),
        '-out',
        join(dir, `${prefix}.crt`),
        '-days',
        '2',
        '-subj',
        '/CN=payment-provider',
        '-addext',
        'subjectAltName=DNS:payment-provider',
      ],
      { stdio: 'ignore' },
    );
  make('provider');
  make('provider-rotated');
}

function yamlList(rules) {
  return JSON.stringify(
    { groups: [{ name: 'scenario', interval: '2s', rules }] },
    null,
    2,
  );
}

/**
 * Runs one scenario. Options: `target` (backend base URL; none = answer locally), `token`
 * (bearer for OTLP and webhook), `otlpEndpoint` (send OTLP there instead of the target),
 * `record` (keep the bodies and return a recording), `healthyMs`/`faultMs` (override the
 * scenario's), `rate` (requests per second), `sampleRatio` (trace sampling), `log` (progress).
 */
export async function runLab(options) {
  const scenario = scenarioByName(options.scenario);
  const healthyMs = options.healthyMs ?? scenario.healthyMs;
  const faultMs = options.faultMs ?? scenario.faultMs;
  const say = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'ai-triage-lab-'));
  const children = new Map();
  const cleanups = [];
  let postgres;
  let recorder;
  let load;
  let faultActs = [];
  // Ctrl-C or a kill of the runner: stop every process it started before leaving.
  const interrupted = () => {
    for (const child of children.values())
      if (child.exitCode === null) child.kill('SIGKILL');
    try {
      postgres?.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    }
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    recorder = await startRecorder({
      target: options.target,
      record: options.record,
    });
    cleanups.push(() => recorder.close());
    const proxy = `http://127.0.0.1:${recorder.port}`;

    postgres = await startPostgres({
      prefix: 'ai-triage-lab-pg-',
      settings: { fsync: 'off' },
    });
    if (!postgres)
      throw new Error(
        'PostgreSQL is not installed (apt-get install postgresql)',
      );
    const admin = new pg.Client({
      connectionString: `${postgres.url}/postgres`,
    });
    await admin.connect();
    await admin.query('CREATE DATABASE shop');
    await admin.end();
    const dbPort = new URL(postgres.url).port;
    const dbUrl = `postgresql://postgres@orders-db:${dbPort}/shop`;
    const db = new pg.Client({ connectionString: `${postgres.url}/shop` });
    await db.connect();
    cleanups.push(() => db.end().catch(() => {}));
    await db.query(SCHEMA);
    say(`orders-db ready (${postgres.url}/shop)`);

    makeCertificates(dir);
    const ports = {};
    for (const s of SERVICES) ports[s.name] = await freePort();
    const metricsPorts = {};
    for (const s of SERVICES.filter(s => !s.external))
      metricsPorts[s.name] = await freePort();
    const hosts = { ...ports, 'orders-db': Number(dbPort) };

    // The fault's start is written here once the load runs; services and externals read it.
    const faultAtFile = join(dir, 'fault-at');
    writeFileSync(faultAtFile, 'Infinity');
    let faultAt = Infinity;
    const otlpEndpoint = options.otlpEndpoint ?? `${proxy}/api/ai-triage/otlp`;
    const spawnService = (service, version) => {
      const env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LAB_PORT: String(ports[service.name]),
        LAB_HOSTS: JSON.stringify(hosts),
        LAB_EFFECTS: JSON.stringify(scenario.effects[service.name] ?? {}),
        LAB_FAULT_AT_FILE: faultAtFile,
        LAB_VERSION: version,
        LAB_DEBUG: process.env.LAB_DEBUG ?? '',
      };
      let args;
      if (service.external) {
        Object.assign(env, { LAB_EXTERNAL: service.name });
        if (service.name === 'payment-provider')
          Object.assign(env, {
            LAB_TLS_CERT: join(dir, 'provider.crt'),
            LAB_TLS_KEY: join(dir, 'provider.key'),
            LAB_TLS_ROTATED_CERT: join(dir, 'provider-rotated.crt'),
            LAB_TLS_ROTATED_KEY: join(dir, 'provider-rotated.key'),
          });
        args = [join(LAB, 'services', 'externals.mjs')];
      } else {
        Object.assign(env, {
          OTEL_SERVICE_NAME: service.name,
          OTEL_RESOURCE_ATTRIBUTES: `service.version=${version},service.namespace=shop,deployment.environment.name=lab`,
          OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          ...(options.token
            ? {
                OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${options.token}`,
              }
            : {}),
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: String(options.sampleRatio ?? 0.1),
          OTEL_METRIC_EXPORT_INTERVAL: '20000',
          OTEL_BSP_SCHEDULE_DELAY: '2000',
          OTEL_BLRP_SCHEDULE_DELAY: '2000',
          OTEL_SEMCONV_STABILITY_OPT_IN: 'database',
          // The process detector's command line adds nothing here and bloats every export.
          OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,serviceinstance',
          LAB_PROMETHEUS_PORT: String(metricsPorts[service.name]),
          LAB_DATABASE_URL: dbUrl,
          LAB_TRUSTED_CA: join(dir, 'provider.crt'),
        });
        args = [
          ...(scenario.serviceArgs?.[service.name] ?? []),
          '--import',
          join(LAB, 'lib', 'telemetry.mjs'),
          join(LAB, 'services', `${service.name}.mjs`),
        ];
      }
      const child = spawn(process.execPath, args, {
        env,
        stdio: [
          'ignore',
          process.env.LAB_DEBUG ? 'inherit' : 'ignore',
          'inherit',
        ],
      });
      children.set(service.name, child);
      return child;
    };
    for (const service of SERVICES) spawnService(service, service.version);
    for (const service of SERVICES)
      await waitForPort(ports[service.name], service.name);
    say(
      `shop up: ${SERVICES.map(s => `${s.name}:${ports[s.name]}`).join(' ')}`,
    );

    // Prometheus and Alertmanager.
    const promPort = await freePort();
    const amPort = await freePort();
    const webhook = `${proxy}/api/ai-triage/webhooks/alertmanager`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      JSON.stringify({
        global: { scrape_interval: '2s', evaluation_interval: '2s' },
        rule_files: [
          join(
            LAB,
            'prometheus',
            scenario.rules === 'edge' ? 'rules-edge.yml' : 'rules.yml',
          ),
          join(dir, 'scenario-rules.yml'),
        ],
        alerting: {
          alertmanagers: [
            { static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] },
          ],
        },
        scrape_configs: Object.entries(metricsPorts).map(([name, port]) => ({
          job_name: name,
          static_configs: [
            { targets: [`127.0.0.1:${port}`], labels: { service: name } },
          ],
        })),
      }),
    );
    writeFileSync(
      join(dir, 'scenario-rules.yml'),
      yamlList(scenario.extraRules),
    );
    writeFileSync(
      join(dir, 'alertmanager.yml'),
      JSON.stringify({
        route: {
          receiver: 'ai-triage',
          group_by: ['alertname', 'service'],
          group_wait: '2s',
          group_interval: '5s',
          repeat_interval: '1h',
        },
        receivers: [
          {
            name: 'ai-triage',
            webhook_configs: [
              {
                url: webhook,
                send_resolved: true,
                ...(options.token
                  ? {
                      http_config: {
                        authorization: {
                          type: 'Bearer',
                          credentials: options.token,
                        },
                      },
                    }
                  : {}),
              },
            ],
          },
        ],
      }),
    );
    mkdirSync(join(dir, 'am-data'));
    mkdirSync(join(dir, 'prom-data'));
    const am = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'am-data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        `--web.external-url=http://127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
      ],
      { stdio: 'ignore' },
    );
    children.set('alertmanager', am);
    const prom = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'prom-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        `--web.external-url=http://127.0.0.1:${promPort}`,
      ],
      { stdio: 'ignore' },
    );
    children.set('prometheus', prom);
    await waitForUrl(`http://127.0.0.1:${promPort}/-/ready`, 'Prometheus');
    await waitForUrl(`http://127.0.0.1:${amPort}/-/ready`, 'Alertmanager');
    say(
      `prometheus :${promPort}, alertmanager :${amPort} → ${
        options.target ?? 'recorder only'
      }`,
    );

    const loadStart = Date.now();
    faultAt = loadStart + healthyMs;
    writeFileSync(faultAtFile, String(faultAt));
    load = startLoad({ port: ports.storefront, rate: options.rate ?? 10 });
    const stopService = async name => {
      const child = children.get(name);
      if (!child || child.exitCode !== null) return;
      const exited = new Promise(resolve => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise(r => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    };
    const lab = {
      stop: stopService,
      async restart(name, { version }) {
        await stopService(name);
        const service = SERVICES.find(s => s.name === name);
        spawnService(service, version);
        await waitForPort(ports[name], name);
      },
      lockTable(table, { holdMs, pauseMs }) {
        let running = true;
        const session = new pg.Client({
          connectionString: `${postgres.url}/shop`,
          application_name: 'migration',
        });
        const done = (async () => {
          await session.connect();
          while (running) {
            await session.query('BEGIN');
            await session.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
            await new Promise(r => setTimeout(r, holdMs));
            await session.query('COMMIT');
            await new Promise(r => setTimeout(r, pauseMs));
          }
          await session.end();
        })();
        return async () => {
          running = false;
          await done.catch(() => {});
        };
      },
      async publishPoisonMessage() {
        await db.query(
          'INSERT INTO order_events (order_id, payload) VALUES (\'ord_7f3k2\', \'{"orderId":"ord_7f3k2","items":["sku-\')',
        );
      },
    };

    await new Promise(r => setTimeout(r, Math.max(0, faultAt - Date.now())));
    say(`fault ${scenario.name} on`);
    const act = await scenario.act?.(lab);
    if (typeof act === 'function') faultActs.push(act);
    await new Promise(r => setTimeout(r, faultMs));
    const endAt = Date.now();
    load.stop();
    say(
      `load: ${load.stats.sent} sent, ${load.stats.ok} ok, ${load.stats.failed} failed`,
    );
    for (const stop of faultActs) await stop();
    faultActs = [];
    // Stop alerting first (no webhooks about a shop that is shutting down), then let the
    // services flush their last telemetry.
    for (const name of ['prometheus', 'alertmanager']) await stopService(name);
    await Promise.all(SERVICES.map(s => stopService(s.name)));

    const result = {
      scenario: scenario.name,
      stats: { load: load.stats, proxy: recorder.stats },
      deliveries: recorder.stats.requests,
    };
    if (options.record)
      result.recording = buildRecording({
        scenario,
        recorder,
        loadStart,
        faultAt,
        endAt,
        healthyMs,
        faultMs,
        options,
      });
    return result;
  } finally {
    load?.stop();
    for (const stop of faultActs) await stop().catch(() => {});
    for (const child of children.values())
      if (child.exitCode === null) child.kill('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup();
    postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

function buildRecording({
  scenario,
  recorder,
  loadStart,
  faultAt,
  endAt,
  healthyMs,
  faultMs,
  options,
}) {
  const requests = recorder.entries.map(({ atMs, path, body }) => ({
    at: atMs - loadStart,
    path,
    body,
  }));
  const truth = truthOf(scenario, requests, faultAt);
  return {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    scenario: scenario.name,
    description: scenario.description,
    truth,
    recordedAt: new Date(loadStart).toISOString(),
    timeline: {
      faultAt: faultAt - loadStart,
      end: endAt - loadStart,
      healthyMs,
      faultMs,
    },
    load: {
      ratePerSecond: options.rate ?? 10,
      traceSampleRatio: options.sampleRatio ?? 0.1,
    },
    versions: {
      node: process.version,
      '@opentelemetry/sdk-node': packageVersion('@opentelemetry/sdk-node'),
      prometheus: versionOf('prometheus'),
      alertmanager: versionOf('prometheus-alertmanager'),
    },
    requests,
  };
}
