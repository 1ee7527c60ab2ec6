import {
  LogRecord,
  MetricPoint,
  SpanRecord,
} from '@ai-triage/plugin-ai-triage-node';
import { applyDatabaseMigrations } from '../database/migrations';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabaseTelemetryStore } from './DatabaseTelemetryStore';

jest.setTimeout(60_000);

const T0 = 1_790_000_000_000;
const signal = new AbortController().signal;

function span(overrides: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: null,
    serviceName: 'checkout',
    name: 'POST /checkout',
    kind: 2,
    startTimeMs: T0,
    durationMs: 12.5,
    statusCode: 0,
    statusMessage: null,
    peerService: null,
    attributes: {
      'http.route': '/checkout',
      'http.response.status_code': 200,
      retry: false,
    },
    ...overrides,
  };
}

function log(overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    serviceName: 'checkout',
    timestampMs: T0,
    severityText: 'ERROR',
    severityNumber: 17,
    body: 'payment failed for order 42',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    attributes: { 'exception.type': 'TimeoutError' },
    ...overrides,
  };
}

function metric(overrides: Partial<MetricPoint> = {}): MetricPoint {
  return {
    serviceName: 'checkout',
    name: 'db.client.connections.usage',
    timestampMs: T0,
    value: 0.75,
    attributes: { pool: 'main' },
    ...overrides,
  };
}

function spanId(i: number): string {
  return i.toString(16).padStart(16, '0');
}

describe('DatabaseTelemetryStore', () => {
  const databases = createTestDatabases();

  async function createStore(id: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(id);
    await applyDatabaseMigrations(knex);
    return DatabaseTelemetryStore.create({ knex });
  }

  it.each(databases.eachSupportedId())(
    'returns what it stored for the service and window, %p',
    async databaseId => {
      const store = await createStore(databaseId);
      const server = span();
      const client = span({
        spanId: spanId(2),
        parentSpanId: server.spanId,
        name: 'POST payments',
        kind: 3,
        startTimeMs: T0 + 1,
        durationMs: 9000.25,
        statusCode: 2,
        statusMessage: 'deadline exceeded',
        peerService: 'payments',
        // Span links come back as stored (a consumer's links to its producers).
        links: [{ traceId: 'f'.repeat(32), spanId: spanId(9) }],
      });
      const accepted = await store.ingest({
        spans: [
          server,
          client,
          span({ spanId: spanId(3), serviceName: 'payments' }),
          span({ spanId: spanId(4), startTimeMs: T0 + 60_000 }),
          span({ spanId: spanId(5), startTimeMs: T0 - 1 }),
        ],
        logs: [
          log(),
          log({ serviceName: 'payments' }),
          log({ timestampMs: T0 + 60_000 }),
        ],
        metrics: [metric(), metric({ name: 'other', serviceName: 'payments' })],
      });
      expect(accepted).toEqual({ accepted: 10 });

      const result = await store.fetch(
        { serviceName: 'checkout', fromMs: T0, toMs: T0 + 60_000, limit: 100 },
        { signal },
      );
      expect(result).toEqual({
        spans: [server, client],
        logs: [log()],
        metrics: [metric()],
        truncated: [],
      });
      expect(typeof result.spans![0].startTimeMs).toBe('number');
      expect(store.name).toBe('embedded');
    },
  );

  it.each(databases.eachSupportedId())(
    'ignores a span it already has, so an exporter retry stores nothing twice, %p',
    async databaseId => {
      const store = await createStore(databaseId);
      const batch = { spans: [span(), span({ spanId: spanId(2) })] };
      await store.ingest(batch);
      await expect(store.ingest(batch)).resolves.toEqual({ accepted: 2 });
      await store.ingest({ spans: [span({ name: 'changed' })] });

      const { spans } = await store.fetch(
        { serviceName: 'checkout', fromMs: T0, toMs: T0 + 1, limit: 100 },
        { signal },
      );
      expect(spans!.map(s => [s.spanId, s.name])).toEqual([
        ['b7ad6b7169203331', 'POST /checkout'],
        [spanId(2), 'POST /checkout'],
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'stores large batches and caps each signal at the limit, keeping the newest, %p',
    async databaseId => {
      const store = await createStore(databaseId);
      const spans = Array.from({ length: 1_234 }, (_, i) =>
        span({ spanId: spanId(i + 1), startTimeMs: T0 + i }),
      );
      const logs = Array.from({ length: 1_100 }, (_, i) =>
        log({ timestampMs: T0 + i }),
      );
      await store.ingest({
        spans,
        logs,
        metrics: [metric(), metric({ timestampMs: T0 + 5 })],
      });

      const result = await store.fetch(
        {
          serviceName: 'checkout',
          fromMs: T0,
          toMs: T0 + 10_000,
          limit: 1_100,
        },
        { signal },
      );
      expect(result.truncated).toEqual(['spans']);
      expect(result.spans).toHaveLength(1_100);
      expect(result.spans![0].startTimeMs).toBe(T0 + 134);
      expect(result.spans![1_099].startTimeMs).toBe(T0 + 1_233);
      expect(result.logs).toHaveLength(1_100);
      expect(result.metrics!.map(m => m.timestampMs)).toEqual([T0, T0 + 5]);
    },
  );

  it.each(databases.eachSupportedId())(
    'purges records older than the cutoff and counts them, %p',
    async databaseId => {
      const store = await createStore(databaseId);
      await store.ingest({
        spans: [span({ startTimeMs: T0 - 10 }), span({ spanId: spanId(2) })],
        logs: [
          log({ timestampMs: T0 - 10 }),
          log({ timestampMs: T0 - 5 }),
          log(),
        ],
        metrics: [metric({ timestampMs: T0 - 1 }), metric()],
      });

      await expect(store.purgeOlderThan(T0)).resolves.toBe(4);
      await expect(store.purgeOlderThan(T0)).resolves.toBe(0);
      const result = await store.fetch(
        { serviceName: 'checkout', fromMs: 0, toMs: T0 + 1, limit: 10 },
        { signal },
      );
      expect(result.spans!.map(s => s.spanId)).toEqual([spanId(2)]);
      expect(result.logs).toHaveLength(1);
      expect(result.metrics).toHaveLength(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'counts logs per service, minute, message shape and level as they arrive, exactly under concurrent ingests, %p',
    async databaseId => {
      const store = await createStore(databaseId);
      const minute = Math.floor(T0 / 60_000) * 60_000;
      // 12 concurrent requests of 150 logs: two shapes at two levels over three minutes.
      const batches = Array.from({ length: 12 }, (_batch, b) => ({
        logs: Array.from({ length: 150 }, (_, i) => {
          const n = b * 150 + i;
          return log({
            timestampMs: minute + (n % 3) * 60_000 + (n % 50),
            body:
              n % 4 === 0
                ? `connection to 10.0.${n % 7}.1:5432 refused after ${n} ms`
                : `payment failed for order ${n}`,
            severityNumber: n % 5 === 0 ? 9 : 17,
            traceId: n % 2 === 1 ? n.toString(16).padStart(32, '0') : null,
          });
        }),
      }));
      await Promise.all(batches.map(batch => store.ingest(batch)));
      // Another service's logs and records outside the window are not counted.
      await store.ingest({
        logs: [
          log({ serviceName: 'payments', timestampMs: minute }),
          log({ timestampMs: minute + 3 * 60_000 }),
        ],
      });

      const all = batches.flatMap(batch => batch.logs);
      const expected = new Map<string, number>();
      const smallestTraceIds = new Map<string, string | null>();
      for (const record of all) {
        const key = `${record.body.startsWith('connection') ? 'c' : 'p'}:${
          record.severityNumber === 9 ? 3 : 5
        }`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
        const smallest = smallestTraceIds.get(key) ?? null;
        if (record.traceId && (!smallest || record.traceId < smallest)) {
          smallestTraceIds.set(key, record.traceId);
        } else {
          smallestTraceIds.set(key, smallest);
        }
      }
      const { shapes, complete } = await store.logShapeCounts(
        {
          serviceName: 'checkout',
          fromMs: minute,
          toMs: minute + 3 * 60_000,
          limit: 10,
        },
        { signal },
      );
      expect(complete).toBe(true);
      expect(shapes).toHaveLength(4);
      const byExample = new Map(
        shapes.map(shape => [
          `${shape.example.startsWith('connection') ? 'c' : 'p'}:${
            shape.levelRank
          }`,
          shape,
        ]),
      );
      expect(
        new Map([...byExample].map(([key, shape]) => [key, shape.count])),
      ).toEqual(expected);
      // Each keeps the smallest trace id of its records, across requests and minutes (the
      // connection errors have none).
      expect(
        new Map([...byExample].map(([key, shape]) => [key, shape.traceId])),
      ).toEqual(smallestTraceIds);
      expect(shapes.reduce((sum, shape) => sum + shape.count, 0)).toBe(1_800);
      // One shape key for all messages of a shape, whatever their numbers and addresses.
      expect(byExample.get('p:5')!.shapeKey).toBe(
        byExample.get('p:3')!.shapeKey,
      );
      expect(byExample.get('c:5')!.shapeKey).not.toBe(
        byExample.get('p:5')!.shapeKey,
      );
      // Counts are ordered most frequent first.
      expect(shapes.map(shape => shape.count)).toEqual(
        [...shapes.map(shape => shape.count)].sort((a, b) => b - a),
      );
      const first = Math.min(...all.map(record => record.timestampMs));
      const last = Math.max(...all.map(record => record.timestampMs));
      expect(Math.min(...shapes.map(shape => shape.firstMs))).toBe(first);
      expect(Math.max(...shapes.map(shape => shape.lastMs))).toBe(last);

      // Whole minutes: the window [minute + 1 min, minute + 2 min) counts that minute alone.
      const middle = await store.logShapeCounts(
        {
          serviceName: 'checkout',
          fromMs: minute + 60_000,
          toMs: minute + 120_000,
          limit: 10,
        },
        { signal },
      );
      expect(middle.shapes.reduce((sum, shape) => sum + shape.count, 0)).toBe(
        600,
      );

      // Retention deletes the counts of minutes that ended before the cutoff.
      const purged = await store.purgeOlderThan(minute + 2 * 60_000);
      expect(purged).toBe(1_201 + 9);
      const left = await store.logShapeCounts(
        {
          serviceName: 'checkout',
          fromMs: 0,
          toMs: minute + 3 * 60_000,
          limit: 10,
        },
        { signal },
      );
      expect(left.shapes.reduce((sum, shape) => sum + shape.count, 0)).toBe(
        600,
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'gives up when the caller aborts, %p',
    async databaseId => {
      const store = await createStore(databaseId);
      const controller = new AbortController();
      controller.abort(new Error('enrichment timed out'));
      await expect(
        store.fetch(
          { serviceName: 'checkout', fromMs: 0, toMs: T0, limit: 10 },
          { signal: controller.signal },
        ),
      ).rejects.toThrow('enrichment timed out');
    },
  );
});
