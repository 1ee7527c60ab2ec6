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
import { TelemetryBatch, TelemetryStore } from './TelemetryStore';

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

type MetricRow = {
  id?: number | string;
  service_name: string;
  name: string;
  timestamp_ms: number | string;
  value: number | string;
  attributes: string;
};

/**
 * Rows per INSERT statement: 12 columns x 500 rows stays far below the bind-parameter limits of
 * SQLite (32766) and PostgreSQL (65535).
 */
const INSERT_CHUNK_ROWS = 500;

/**
 * The embedded telemetry store: spans, logs and metric points of a bounded, retained window in
 * the plugin's own database, written by the OTLP receiver and read back as the `embedded`
 * telemetry provider.
 */
export class DatabaseTelemetryStore
  implements TelemetryStore, TelemetryProvider
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
      for (const rows of chunks(spans.map(toSpanRow))) {
        await tx<SpanRow>('telemetry_spans')
          .insert(rows)
          .onConflict(['trace_id', 'span_id'])
          .ignore();
      }
      for (const rows of chunks(logs.map(toLogRow))) {
        await tx<LogRow>('telemetry_logs').insert(rows);
      }
      for (const rows of chunks(metrics.map(toMetricRow))) {
        await tx<MetricRow>('telemetry_metric_points').insert(rows);
      }
    });
    return { accepted: spans.length + logs.length + metrics.length };
  }

  async purgeOlderThan(cutoffMs: number): Promise<number> {
    const [spans, logs, metrics] = await Promise.all([
      this.knex('telemetry_spans')
        .where('start_time_ms', '<', cutoffMs)
        .delete(),
      this.knex('telemetry_logs').where('timestamp_ms', '<', cutoffMs).delete(),
      this.knex('telemetry_metric_points')
        .where('timestamp_ms', '<', cutoffMs)
        .delete(),
    ]);
    return spans + logs + metrics;
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

function chunks<T>(rows: T[]): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < rows.length; i += INSERT_CHUNK_ROWS) {
    result.push(rows.slice(i, i + INSERT_CHUNK_ROWS));
  }
  return result;
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
  };
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
