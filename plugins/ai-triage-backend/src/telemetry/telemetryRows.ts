import {
  LogRecord,
  MetricPoint,
  SpanRecord,
  TelemetryAttributes,
} from '@ai-triage/plugin-ai-triage-node';

/*
 * The embedded telemetry store's rows: the table shapes of spans, logs and metric points and
 * the conversions between them and the records the telemetry provider API speaks.
 */

export type SpanRow = {
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

export type LogRow = {
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

export type MetricRow = {
  id?: number | string;
  service_name: string;
  name: string;
  timestamp_ms: number | string;
  value: number | string;
  attributes: string;
};

export function toSpanRow(span: SpanRecord): SpanRow {
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

export function fromSpanRow(row: SpanRow): SpanRecord {
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

export function toLogRow(log: LogRecord): LogRow {
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

export function fromLogRow(row: LogRow): LogRecord {
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

export function toMetricRow(point: MetricPoint): MetricRow {
  return {
    service_name: point.serviceName,
    name: point.name,
    timestamp_ms: point.timestampMs,
    value: point.value,
    attributes: JSON.stringify(point.attributes),
  };
}

export function fromMetricRow(row: MetricRow): MetricPoint {
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
