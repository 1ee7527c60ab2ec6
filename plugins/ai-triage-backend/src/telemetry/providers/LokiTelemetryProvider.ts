import {
  LogRecord,
  TelemetryAttributes,
  TelemetryProvider,
  TelemetryQuery,
  TelemetryResult,
  TelemetrySignal,
} from '@ai-triage/plugin-ai-triage-node';
import { z } from 'zod';
import { LOKI_SELECTOR_ANNOTATION } from '../annotations';
import { HttpEndpoint, getJson } from './getJson';

/** SeverityNumber of the OpenTelemetry log data model for the usual level names. */
const SEVERITY_NUMBERS: Record<string, number> = {
  trace: 1,
  debug: 5,
  info: 9,
  information: 9,
  notice: 10,
  warn: 13,
  warning: 13,
  error: 17,
  err: 17,
  critical: 21,
  fatal: 21,
};

/** Labels (or structured metadata) that carry the level, most specific first. */
const LEVEL_LABELS = ['severity_text', 'level', 'detected_level', 'severity'];

/**
 * A `query_range` answer for a log query: streams, each with its labels and `[ns, line]` values
 * (a third element holds structured metadata, flat or, with the `categorize-labels` encoding
 * flag, under `structuredMetadata`).
 */
const streamsResponse = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('streams'),
    result: z.array(
      z.object({
        stream: z.record(z.string(), z.string()),
        values: z.array(
          z.union([
            z.tuple([z.string(), z.string()]),
            z.tuple([
              z.string(),
              z.string(),
              z.record(z.string(), z.unknown()),
            ]),
          ]),
        ),
      }),
    ),
  }),
});

type LokiProviderOptions = {
  name: string;
  endpoint: HttpEndpoint;
  /** The label that carries the service name in the default selector. Default `service_name`. */
  serviceLabel?: string;
  timeoutMs?: number;
  servesAllEntities?: boolean;
};

/**
 * Logs from Loki: one LogQL `query_range` (`/loki/api/v1/query_range`, newest first, at most
 * `limit` lines) for the entity's stream selector, `{service_name="<service.name>"}` by default
 * (Loki's OTLP ingestion turns `service.name` into that label) or its
 * `ai-triage.io/loki-selector` annotation. Levels come from `severity_text`, `level` or
 * `detected_level`; `trace_id` and `span_id` tie lines to traces.
 */
export class LokiTelemetryProvider implements TelemetryProvider {
  readonly signals: TelemetrySignal[] = ['logs'];
  readonly name: string;
  readonly timeoutMs?: number;
  readonly servesAllEntities?: boolean;

  static create(options: LokiProviderOptions): LokiTelemetryProvider {
    return new LokiTelemetryProvider(options);
  }

  private constructor(private readonly options: LokiProviderOptions) {
    this.name = options.name;
    this.timeoutMs = options.timeoutMs;
    this.servesAllEntities = options.servesAllEntities;
  }

  async fetch(
    query: TelemetryQuery,
    options: { signal: AbortSignal },
  ): Promise<TelemetryResult> {
    const limit = Math.max(0, Math.floor(query.limit));
    const body = await getJson(
      this.options.endpoint,
      '/loki/api/v1/query_range',
      {
        query: this.selectorOf(query),
        start: `${BigInt(query.fromMs) * 1_000_000n}`,
        end: `${BigInt(query.toMs) * 1_000_000n}`,
        limit: String(limit),
        direction: 'backward',
      },
      options.signal,
    );
    const parsed = streamsResponse.safeParse(body);
    if (!parsed.success) {
      throw new Error('the answer is not a query_range result of streams');
    }

    const logs: LogRecord[] = [];
    let received = 0;
    for (const { stream, values } of parsed.data.data.result) {
      for (const [nanos, line, metadata] of values) {
        received++;
        const timestampMs = Number(BigInt(nanos) / 1_000_000n);
        if (timestampMs < query.fromMs || timestampMs >= query.toMs) continue;
        logs.push(
          toLogRecord(query.serviceName, timestampMs, line, {
            ...stream,
            ...flatMetadata(metadata),
          }),
        );
      }
    }
    logs.sort((a, b) => a.timestampMs - b.timestampMs);
    const truncated = received >= limit;
    return {
      logs: logs.slice(Math.max(0, logs.length - limit)),
      truncated: truncated ? ['logs'] : [],
    };
  }

  private selectorOf(query: TelemetryQuery): string {
    const annotated =
      query.entity?.annotations[LOKI_SELECTOR_ANNOTATION]?.trim();
    if (annotated) {
      return annotated;
    }
    const label = this.options.serviceLabel ?? 'service_name';
    return `{${label}=${JSON.stringify(query.serviceName)}}`;
  }
}

function flatMetadata(
  metadata: Record<string, unknown> | undefined,
): Record<string, string> {
  if (!metadata) return {};
  const source =
    typeof metadata.structuredMetadata === 'object' &&
    metadata.structuredMetadata !== null
      ? (metadata.structuredMetadata as Record<string, unknown>)
      : metadata;
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (typeof value === 'string') flat[key] = value;
  }
  return flat;
}

function toLogRecord(
  serviceName: string,
  timestampMs: number,
  line: string,
  labels: Record<string, string>,
): LogRecord {
  const levelLabel = LEVEL_LABELS.find(label => labels[label]);
  const level = levelLabel ? labels[levelLabel] : '';
  const attributes: TelemetryAttributes = {};
  for (const [key, value] of Object.entries(labels)) {
    if (key !== 'trace_id' && key !== 'span_id' && key !== levelLabel) {
      attributes[key] = value;
    }
  }
  return {
    serviceName,
    timestampMs,
    severityText: level.toUpperCase(),
    severityNumber: SEVERITY_NUMBERS[level.toLowerCase()] ?? 0,
    body: line,
    traceId: hexOrNull(labels.trace_id, 32),
    spanId: hexOrNull(labels.span_id, 16),
    attributes,
  };
}

function hexOrNull(value: string | undefined, length: number): string | null {
  if (!value || !/^[0-9a-fA-F]+$/.test(value) || value.length > length) {
    return null;
  }
  return value.toLowerCase().padStart(length, '0');
}
