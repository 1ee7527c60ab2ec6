import {
  SpanRecord,
  TelemetryProvider,
  TelemetryQuery,
  TelemetryResult,
} from '@ai-triage/plugin-ai-triage-node';
import { Knex } from 'knex';
import {
  LogShapeCountRow,
  MINUTE_MS,
  compareText,
  logShapeCountRows,
} from './logShapeRollup';
import {
  LogRow,
  MetricRow,
  SpanRow,
  fromLogRow,
  fromMetricRow,
  fromSpanRow,
  toLogRow,
  toMetricRow,
  toSpanRow,
} from './telemetryRows';
import {
  LogShapeCountSource,
  LogShapeCounts,
  TelemetryBatch,
  TelemetryStore,
  TraceSpanSource,
} from './TelemetryStore';

/**
 * Rows per INSERT statement: 13 columns x 500 rows stays far below the bind-parameter limits of
 * SQLite (32766) and PostgreSQL (65535).
 */
const INSERT_CHUNK_ROWS = 500;

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
