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
