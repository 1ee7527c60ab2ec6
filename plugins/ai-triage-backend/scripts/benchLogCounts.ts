/**
 * `npm run bench:log-counts`: what the embedded store's log counts cost at ingest and save at
 * enrichment, as one service's incident window grows.
 *
 * For each database (SQLite in memory; PostgreSQL from
 * BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING when set) it fills a 15-minute window of a
 * `checkout` service with log records of 40 message shapes (varying ids, numbers, addresses and
 * trace ids) through DatabaseTelemetryStore.ingest, four batches of 1,000 at a time, up to each
 * size. Per size it prints one JSON line:
 *
 * - `ingestLogsPerSec`: records per second through the store's ingest (records and counts in one
 *   transaction); `rawInsertLogsPerSec`: the same records inserted into `telemetry_logs` alone
 *   straight through knex in the same batches, for comparison (no counts kept);
 * - the enrichment read of the window, median of 3 runs: `countsMs` (the log shape counts),
 *   `sampleMs` (the newest 5,000 records, the default `maxRecordsPerSignal`) and `buildMs`
 *   (ContextBuilder.build on those), with `shapeCounts` (the (shape, level) pairs the counts read
 *   returned), the largest template count in the document, and whether the counts add up to
 *   every record of the window (`countsCoverEveryRecord`).
 *
 *   npm run bench:log-counts [-- --sizes 10000,100000,1000000 --only sqlite|postgres]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import knexFactory, { Knex } from 'knex';
import { LogRecord } from '@ai-triage/plugin-ai-triage-node';
import { applyDatabaseMigrations } from '../src/database/migrations';
import { ContextBuilder } from '../src/enrichment/ContextBuilder';
import { DatabaseTelemetryStore } from '../src/telemetry/DatabaseTelemetryStore';
import { testAlert } from '../src/__testUtils__/alerts';

const PG_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';
const SERVICE = 'checkout';
const FROM_MS = Date.parse('2026-11-24T10:00:00.000Z');
const WINDOW_MS = 15 * 60_000;
const BATCH = 1_000;
const CONCURRENCY = 4;
const SAMPLE_LIMIT = 5_000;
const RUNS = 3;

const WORDS = ['cart', 'order', 'invoice', 'shipment', 'refund', 'coupon'];
const hex = (n: number, length: number) =>
  Math.floor(n).toString(16).padStart(length, '0').slice(-length);

/** 40 message shapes: six kinds for each of six words, and four errors. */
const SHAPES: Array<{ severity: number; body: (n: number) => string }> = [
  ...WORDS.flatMap(word => [
    {
      severity: 9,
      body: (n: number) => `${word} ${n} created in ${n % 900} ms`,
    },
    {
      severity: 9,
      body: (n: number) => `GET /api/v1/${word}s/${n} 200 ${n % 5000} bytes`,
    },
    {
      severity: 5,
      body: (n: number) => `cache ${word}:${hex(n * 2654435761, 8)} miss`,
    },
    {
      severity: 13,
      body: (n: number) => `slow query on ${word}s took ${n % 3000} ms`,
    },
    {
      severity: 9,
      body: (n: number) => `published ${word}.updated event ${hex(n, 12)}`,
    },
    {
      severity: 9,
      body: (n: number) => `${word} ${n} deleted by user${n % 97}`,
    },
  ]),
  {
    severity: 17,
    body: n =>
      `payment authorization for order ${n} timed out after ${n % 2000} ms`,
  },
  {
    severity: 17,
    body: n => `connection reset by peer 10.0.${n % 255}.${n % 7}:5432`,
  },
  { severity: 13, body: n => `retrying charge ${hex(n, 8)} attempt ${n % 5}` },
  { severity: 21, body: n => `worker pool exhausted: ${n % 64} of 64 busy` },
];

function logAt(n: number): LogRecord {
  const shape = SHAPES[(n * 7) % SHAPES.length];
  return {
    serviceName: SERVICE,
    // Spread over the window, not in order, as many exporters deliver them.
    timestampMs: FROM_MS + ((n * 7919) % WINDOW_MS),
    severityText: '',
    severityNumber: shape.severity,
    body: shape.body(n),
    traceId: hex(n * 40503, 32),
    spanId: hex(n, 16),
    attributes: { 'code.function': 'handle' },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Writes the records [from, to) in batches of BATCH, CONCURRENCY batches at a time, and returns
 * the milliseconds it took.
 */
async function writeInBatches(
  from: number,
  to: number,
  writeBatch: (logs: LogRecord[]) => Promise<unknown>,
): Promise<number> {
  const [, ms] = await timed(async () => {
    for (let start = from; start < to; start += BATCH * CONCURRENCY) {
      const batches = [];
      for (
        let b = start;
        b < Math.min(start + BATCH * CONCURRENCY, to);
        b += BATCH
      ) {
        const logs = [];
        for (let n = b; n < Math.min(b + BATCH, to); n++) logs.push(logAt(n));
        batches.push(writeBatch(logs));
      }
      await Promise.all(batches);
    }
  });
  return ms;
}

/** Ingests records [from, to) through the store. */
function ingest(
  store: DatabaseTelemetryStore,
  from: number,
  to: number,
): Promise<number> {
  return writeInBatches(from, to, logs => store.ingest({ logs }));
}

/** The same records straight into telemetry_logs, under another service name. */
function rawInsert(knex: Knex, from: number, to: number): Promise<number> {
  return writeInBatches(from, to, logs => {
    const rows = logs.map(log => ({
      service_name: 'raw-comparison',
      timestamp_ms: log.timestampMs,
      severity_text: log.severityText,
      severity_number: log.severityNumber,
      body: log.body,
      trace_id: log.traceId,
      span_id: log.spanId,
      attributes: JSON.stringify(log.attributes),
    }));
    return knex.transaction(async tx => {
      for (let i = 0; i < rows.length; i += 500) {
        await tx('telemetry_logs').insert(rows.slice(i, i + 500));
      }
    });
  });
}

async function readWindow(store: DatabaseTelemetryStore) {
  const builder = ContextBuilder.create();
  const signal = new AbortController().signal;
  const query = {
    serviceName: SERVICE,
    fromMs: FROM_MS,
    toMs: FROM_MS + WINDOW_MS,
    limit: SAMPLE_LIMIT,
  };
  const baselineQuery = {
    ...query,
    fromMs: FROM_MS - WINDOW_MS,
    toMs: FROM_MS,
  };
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    const [[counts, baselineCounts], countsMs] = await timed(() =>
      Promise.all([
        store.logShapeCounts(query, { signal }),
        store.logShapeCounts(baselineQuery, { signal }),
      ]),
    );
    const [sample, sampleMs] = await timed(() =>
      store.fetch(query, { signal }),
    );
    const [document, buildMs] = await timed(async () =>
      builder.build({
        incidentId: 'bench',
        serviceName: SERVICE,
        alerts: [{ ...testAlert(), id: 'alert-1' }],
        window: { fromMs: query.fromMs, toMs: query.toMs },
        baselineWindow: {
          fromMs: baselineQuery.fromMs,
          toMs: baselineQuery.toMs,
        },
        current: { spans: [], metrics: [] },
        baseline: { spans: [], logs: [], metrics: [] },
        missing: [],
        truncated: [],
        countedLogs: {
          current: counts.shapes,
          baseline: baselineCounts.shapes,
          sampled: sample.logs ?? [],
          complete: counts.complete && baselineCounts.complete,
        },
      }),
    );
    runs.push({
      countsMs,
      sampleMs,
      buildMs,
      shapeCounts: counts.shapes.length,
      sampled: sample.logs?.length ?? 0,
      templates: document.logTemplates.length,
      largestTemplateCount: Math.max(
        ...document.logTemplates.map(t => t.count),
      ),
      countedRecords: counts.shapes.reduce(
        (sum, shape) => sum + shape.count,
        0,
      ),
      logCountsExact: document.logCountsExact,
    });
  }
  const last = runs[runs.length - 1];
  return {
    countsMs: Math.round(median(runs.map(r => r.countsMs))),
    sampleMs: Math.round(median(runs.map(r => r.sampleMs))),
    buildMs: Math.round(median(runs.map(r => r.buildMs))),
    shapeCounts: last.shapeCounts,
    sampled: last.sampled,
    templates: last.templates,
    largestTemplateCount: last.largestTemplateCount,
    countedRecords: last.countedRecords,
    logCountsExact: last.logCountsExact,
  };
}

async function benchDatabase(
  name: string,
  knex: Knex,
  sizes: number[],
): Promise<void> {
  await applyDatabaseMigrations(knex);
  const store = DatabaseTelemetryStore.create({ knex });
  let stored = 0;
  for (const size of sizes) {
    const load1m = Number(loadavg()[0].toFixed(1));
    const ingestMs = await ingest(store, stored, size);
    const rawMs = await rawInsert(knex, stored, size);
    const added = size - stored;
    stored = size;
    const read = await readWindow(store);
    const rollupRows = Number(
      (
        await knex('telemetry_log_shape_counts')
          .where('service_name', SERVICE)
          .count({ rows: '*' })
      )[0].rows,
    );
    console.log(
      JSON.stringify({
        database: name,
        load1m,
        logsInWindow: size,
        ingestLogsPerSec: Math.round(added / (ingestMs / 1000)),
        rawInsertLogsPerSec: Math.round(added / (rawMs / 1000)),
        rollupRows,
        ...read,
        countsCoverEveryRecord: read.countedRecords === size,
      }),
    );
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10000,100000,1000000' },
      only: { type: 'string' },
    },
  });
  const sizes = values.sizes!.split(',').map(Number);
  if (values.only !== 'postgres') {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    try {
      await benchDatabase('SQLite, in memory', knex, sizes);
    } finally {
      await knex.destroy();
    }
  }
  const pg = process.env[PG_ENV];
  if (values.only !== 'sqlite' && pg) {
    const database = `bench_log_counts_${process.pid}`;
    const admin = knexFactory({ client: 'pg', connection: pg });
    await admin.raw('create database ??', [database]);
    const knex = knexFactory({
      client: 'pg',
      connection: `${pg.replace(/\/$/, '')}/${database}`,
    });
    try {
      await benchDatabase('PostgreSQL', knex, sizes);
    } finally {
      await knex.destroy();
      await admin.raw('drop database ??', [database]);
      await admin.destroy();
    }
  } else if (values.only === 'postgres') {
    throw new Error(`Set ${PG_ENV} to run on PostgreSQL`);
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
