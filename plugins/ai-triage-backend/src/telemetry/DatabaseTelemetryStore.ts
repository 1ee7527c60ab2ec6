import {
  LogRecord,
  MetricPoint,
  SpanRecord,
  TelemetryAttributes,
  TelemetryProvider,
  TelemetryQuery,
  TelemetryResult,
} from '@ai-triage/plugin-ai-triage-node';
import { Knex } from 'knex';
import { logShapeKey } from './logShapeKey';
import { levelRank } from './logLevel';
import {
  LogShapeCountSource,
  LogShapeCounts,
  TelemetryBatch,
  TelemetryStore,
  TraceSpanSource,
} from './TelemetryStore';

/** Compares strings by code unit, independent of the locale. */
function compareText(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

type SpanRow = {
  id?: number | string;
  service_name: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: number;
  start_time_ms: number | string;
  duration_ms: number | string;
  status_code: number;
  status_message: string | null;
  peer_service: string | null;
  attributes: string;
  /** JSON array of {traceId, spanId}, or null (see the span_links migration). */
  links?: string | null;
};

type LogRow = {
  id?: number | string;
  service_name: string;
  timestamp_ms: number | string;
  severity_text: string;
  severity_number: number;
  body: string;
  trace_id: string | null;
  span_id: string | null;
  attributes: string;
};

type LogShapeCountRow = {
  service_name: string;
  minute_ms: number;
  shape_key: string;
  level_rank: number;
  record_count: number;
  first_ms: number;
  last_ms: number;
  example: string;
  trace_id: string | null;
};

type MetricRow = {
  id?: number | string;
  service_name: string;
  name: string;
  timestamp_ms: number | string;
  value: number | string;
  attributes: string;
};

/**
 * Rows per INSERT statement: 13 columns x 500 rows stays far below the bind-parameter limits of
 * SQLite (32766) and PostgreSQL (65535).
 */
const INSERT_CHUNK_ROWS = 500;

const MINUTE_MS = 60_000;
/** Longest example kept per rollup row: what the miner reads of a message. */
const MAX_EXAMPLE_LENGTH = 4096;
/** Most (shape, level) pairs one window's counts return, the most frequent first. */
const MAX_LOG_SHAPES = 20_000;
const LOG_SHAPE_KEY = ['service_name', 'minute_ms', 'shape_key', 'level_rank'];

/**
 * The embedded telemetry store: spans, logs and metric points of a bounded, retained window in
 * the plugin's own database, written by the OTLP receiver and read back as the `embedded`
 * telemetry provider.
 */
export class DatabaseTelemetryStore
  implements
    TelemetryStore,
    TelemetryProvider,
    LogShapeCountSource,
    TraceSpanSource
{
  readonly name = 'embedded';

  static create(options: { knex: Knex }): DatabaseTelemetryStore {
    return new DatabaseTelemetryStore(options.knex);
  }

  private constructor(private readonly knex: Knex) {}

  async ingest(batch: TelemetryBatch): Promise<{ accepted: number }> {
    const spans = batch.spans ?? [];
    const logs = batch.logs ?? [];
    const metrics = batch.metrics ?? [];
    await this.knex.transaction(async tx => {
      // Rows are made per chunk, between the awaited inserts, so a large export never holds the
      // event loop for all of its records at once.
      for (const rows of chunks(spans, toSpanRow)) {
        await tx<SpanRow>('telemetry_spans')
          .insert(rows)
          .onConflict(['trace_id', 'span_id'])
          .ignore();
      }
      for (const rows of chunks(logs, toLogRow)) {
        await tx<LogRow>('telemetry_logs').insert(rows);
      }
      // In key order, so concurrent requests lock shared rows in one order and cannot deadlock.
      for (const rows of chunks(await logShapeCountRows(logs), row => row)) {
        await tx<LogShapeCountRow>('telemetry_log_shape_counts')
          .insert(rows)
          .onConflict(LOG_SHAPE_KEY)
          .merge({
            record_count: tx.raw('?? + ??', [
              'telemetry_log_shape_counts.record_count',
              'excluded.record_count',
            ]),
            first_ms: tx.raw('case when ?? < ?? then ?? else ?? end', [
              'excluded.first_ms',
              'telemetry_log_shape_counts.first_ms',
              'excluded.first_ms',
              'telemetry_log_shape_counts.first_ms',
            ]),
            last_ms: tx.raw('case when ?? > ?? then ?? else ?? end', [
              'excluded.last_ms',
              'telemetry_log_shape_counts.last_ms',
              'excluded.last_ms',
              'telemetry_log_shape_counts.last_ms',
            ]),
            trace_id: tx.raw(
              'case when ?? is null or ?? < ?? then ?? else ?? end',
              [
                'telemetry_log_shape_counts.trace_id',
                'excluded.trace_id',
                'telemetry_log_shape_counts.trace_id',
                'excluded.trace_id',
                'telemetry_log_shape_counts.trace_id',
              ],
            ),
          });
      }
      for (const rows of chunks(metrics, toMetricRow)) {
        await tx<MetricRow>('telemetry_metric_points').insert(rows);
      }
    });
    return { accepted: spans.length + logs.length + metrics.length };
  }

  /**
   * Deletes records older than the cutoff, and the log shape counts of minutes that ended by
   * then; returns how many records and count rows went.
   */
  async purgeOlderThan(cutoffMs: number): Promise<number> {
    const [spans, logs, metrics, logShapeCounts] = await Promise.all([
      this.knex('telemetry_spans')
        .where('start_time_ms', '<', cutoffMs)
        .delete(),
      this.knex('telemetry_logs').where('timestamp_ms', '<', cutoffMs).delete(),
      this.knex('telemetry_metric_points')
        .where('timestamp_ms', '<', cutoffMs)
        .delete(),
      this.knex('telemetry_log_shape_counts')
        .where('minute_ms', '<=', cutoffMs - MINUTE_MS)
        .delete(),
    ]);
    return spans + logs + metrics + logShapeCounts;
  }

  /**
   * The service's log records per message shape and level over the minutes that start in
   * [fromMs, toMs), from the rollups the ingest keeps: a read of a few rows per shape and
   * minute, however many records the window holds. At most 20,000 (shape, level) pairs, the
   * most frequent first; `complete` says whether that was all of them.
   */
  async logShapeCounts(
    query: TelemetryQuery,
    options: { signal: AbortSignal },
  ): Promise<LogShapeCounts> {
    options.signal.throwIfAborted();
    const read = this.knex('telemetry_log_shape_counts')
      .select('shape_key', 'level_rank')
      .sum({ record_count: 'record_count' })
      .min({
        first_ms: 'first_ms',
        example: 'example',
        trace_id: 'trace_id',
      })
      .max({ last_ms: 'last_ms' })
      .where('service_name', query.serviceName)
      .andWhere('minute_ms', '>=', query.fromMs)
      .andWhere('minute_ms', '<', query.toMs)
      .groupBy('shape_key', 'level_rank')
      .orderBy([
        { column: 'record_count', order: 'desc' },
        { column: 'shape_key', order: 'asc' },
        { column: 'level_rank', order: 'asc' },
      ])
      .limit(MAX_LOG_SHAPES + 1);
    const rows = (await abortable(read, options.signal)) as Array<{
      shape_key: string;
      level_rank: number | string;
      record_count: number | string;
      first_ms: number | string;
      last_ms: number | string;
      example: string;
      trace_id: string | null;
    }>;
    return {
      shapes: rows.slice(0, MAX_LOG_SHAPES).map(row => ({
        shapeKey: row.shape_key,
        levelRank: Number(row.level_rank),
        count: Number(row.record_count),
        firstMs: Number(row.first_ms),
        lastMs: Number(row.last_ms),
        example: row.example,
        traceId: row.trace_id,
      })),
      complete: rows.length <= MAX_LOG_SHAPES,
    };
  }

  /**
   * The service's spans (server, internal and client alike), logs and metric points in
   * [fromMs, toMs). Where a signal has more than `limit` records, the newest `limit` are
   * returned and the signal is named in `truncated`. Records come oldest first.
   */
  async fetch(
    query: TelemetryQuery,
    options: { signal: AbortSignal },
  ): Promise<TelemetryResult> {
    options.signal.throwIfAborted();
    const limit = Math.max(0, Math.floor(query.limit));
    const read = Promise.all([
      this.newest<SpanRow>('telemetry_spans', 'start_time_ms', query, limit),
      this.newest<LogRow>('telemetry_logs', 'timestamp_ms', query, limit),
      this.newest<MetricRow>(
        'telemetry_metric_points',
        'timestamp_ms',
        query,
        limit,
      ),
    ]);
    const [spans, logs, metrics] = await abortable(read, options.signal);

    const truncated: TelemetryResult['truncated'] = [];
    if (spans.truncated) truncated.push('spans');
    if (logs.truncated) truncated.push('logs');
    if (metrics.truncated) truncated.push('metrics');
    return {
      spans: spans.rows.map(fromSpanRow),
      logs: logs.rows.map(fromLogRow),
      metrics: metrics.rows.map(fromMetricRow),
      truncated,
    };
  }

  /**
   * Spans of any service in the given traces, starting in [fromMs, toMs): read through the
   * unique (trace_id, span_id) index, in chunks of trace ids. At most `limit` spans, the
   * earliest traces first (by trace id), `truncated` when more were there.
   */
  async spansOfTraces(
    query: { traceIds: string[]; fromMs: number; toMs: number; limit: number },
    options: { signal: AbortSignal },
  ): Promise<{ spans: SpanRecord[]; truncated: boolean }> {
    options.signal.throwIfAborted();
    const traceIds = [...new Set(query.traceIds)].sort(compareText);
    const spans: SpanRecord[] = [];
    for (let i = 0; i < traceIds.length; i += INSERT_CHUNK_ROWS) {
      const remaining = query.limit - spans.length;
      const rows: SpanRow[] = await abortable(
        this.knex('telemetry_spans')
          .whereIn('trace_id', traceIds.slice(i, i + INSERT_CHUNK_ROWS))
          .andWhere('start_time_ms', '>=', query.fromMs)
          .andWhere('start_time_ms', '<', query.toMs)
          .orderBy([
            { column: 'trace_id', order: 'asc' },
            { column: 'id', order: 'asc' },
          ])
          .limit(remaining + 1),
        options.signal,
      );
      spans.push(...rows.slice(0, remaining).map(fromSpanRow));
      if (rows.length > remaining) return { spans, truncated: true };
    }
    return { spans, truncated: false };
  }

  private async newest<Row extends {}>(
    table: string,
    timeColumn: string,
    query: TelemetryQuery,
    limit: number,
  ): Promise<{ rows: Row[]; truncated: boolean }> {
    const rows: Row[] = await this.knex(table)
      .where('service_name', query.serviceName)
      .andWhere(timeColumn, '>=', query.fromMs)
      .andWhere(timeColumn, '<', query.toMs)
      .orderBy([
        { column: timeColumn, order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit + 1);
    const truncated = rows.length > limit;
    return { rows: rows.slice(0, limit).reverse(), truncated };
  }
}

function* chunks<T, R>(records: T[], toRow: (record: T) => R): Generator<R[]> {
  for (let i = 0; i < records.length; i += INSERT_CHUNK_ROWS) {
    yield records.slice(i, i + INSERT_CHUNK_ROWS).map(toRow);
  }
}

/**
 * The batch's logs counted per service, minute, shape and level: one row each, in key order.
 * A message is masked once per distinct body in the batch, in slices of at most 10 ms that
 * yield to the event loop (20k distinct bodies take over 100 ms).
 */
async function logShapeCountRows(
  logs: LogRecord[],
): Promise<LogShapeCountRow[]> {
  const keysOfBodies = new Map<string, string>();
  const rows = new Map<string, LogShapeCountRow>();
  let sliceStart = performance.now();
  for (const log of logs) {
    if (performance.now() - sliceStart > 10) {
      await new Promise(resolve => setImmediate(resolve));
      sliceStart = performance.now();
    }
    let shapeKey = keysOfBodies.get(log.body);
    if (shapeKey === undefined) {
      shapeKey = logShapeKey(log.body);
      keysOfBodies.set(log.body, shapeKey);
    }
    const minuteMs = Math.floor(log.timestampMs / MINUTE_MS) * MINUTE_MS;
    const rank = levelRank(log);
    const key = `${log.serviceName}\u0000${minuteMs}\u0000${shapeKey}\u0000${rank}`;
    const row = rows.get(key);
    if (row) {
      row.record_count += 1;
      if (log.timestampMs < row.first_ms) {
        row.first_ms = log.timestampMs;
        row.example = log.body.slice(0, MAX_EXAMPLE_LENGTH);
      }
      if (log.timestampMs > row.last_ms) row.last_ms = log.timestampMs;
      if (log.traceId && (!row.trace_id || log.traceId < row.trace_id)) {
        row.trace_id = log.traceId;
      }
      continue;
    }
    rows.set(key, {
      service_name: log.serviceName,
      minute_ms: minuteMs,
      shape_key: shapeKey,
      level_rank: rank,
      record_count: 1,
      first_ms: log.timestampMs,
      last_ms: log.timestampMs,
      example: log.body.slice(0, MAX_EXAMPLE_LENGTH),
      trace_id: log.traceId || null,
    });
  }
  return [...rows.values()].sort(
    (a, b) =>
      compareText(a.service_name, b.service_name) ||
      a.minute_ms - b.minute_ms ||
      compareText(a.shape_key, b.shape_key) ||
      a.level_rank - b.level_rank,
  );
}

/** Settles with the read, or rejects as soon as the caller gives up waiting. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function toSpanRow(span: SpanRecord): SpanRow {
  return {
    service_name: span.serviceName,
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    start_time_ms: span.startTimeMs,
    duration_ms: span.durationMs,
    status_code: span.statusCode,
    status_message: span.statusMessage,
    peer_service: span.peerService,
    attributes: JSON.stringify(span.attributes),
    links: span.links?.length ? JSON.stringify(span.links) : null,
  };
}

function fromSpanRow(row: SpanRow): SpanRecord {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    serviceName: row.service_name,
    name: row.name,
    kind: Number(row.kind),
    startTimeMs: Number(row.start_time_ms),
    durationMs: Number(row.duration_ms),
    statusCode: Number(row.status_code),
    statusMessage: row.status_message,
    peerService: row.peer_service,
    attributes: parseAttributes(row.attributes),
    ...(row.links ? { links: parseLinks(row.links) } : {}),
  };
}

function parseLinks(text: string): SpanRecord['links'] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed)
      ? parsed.filter(
          (l): l is { traceId: string; spanId: string } =>
            typeof l?.traceId === 'string' && typeof l?.spanId === 'string',
        )
      : [];
  } catch {
    return [];
  }
}

function toLogRow(log: LogRecord): LogRow {
  return {
    service_name: log.serviceName,
    timestamp_ms: log.timestampMs,
    severity_text: log.severityText,
    severity_number: log.severityNumber,
    body: log.body,
    trace_id: log.traceId,
    span_id: log.spanId,
    attributes: JSON.stringify(log.attributes),
  };
}

function fromLogRow(row: LogRow): LogRecord {
  return {
    serviceName: row.service_name,
    timestampMs: Number(row.timestamp_ms),
    severityText: row.severity_text,
    severityNumber: Number(row.severity_number),
    body: row.body,
    traceId: row.trace_id,
    spanId: row.span_id,
    attributes: parseAttributes(row.attributes),
  };
}

function toMetricRow(point: MetricPoint): MetricRow {
  return {
    service_name: point.serviceName,
    name: point.name,
    timestamp_ms: point.timestampMs,
    value: point.value,
    attributes: JSON.stringify(point.attributes),
  };
}

function fromMetricRow(row: MetricRow): MetricPoint {
  return {
    serviceName: row.service_name,
    name: row.name,
    timestampMs: Number(row.timestamp_ms),
    value: Number(row.value),
    attributes: parseAttributes(row.attributes),
  };
}

function parseAttributes(text: string): TelemetryAttributes {
  return JSON.parse(text) as TelemetryAttributes;
}
