import {
  SpanRecord,
  TelemetryAttributes,
  TelemetryProvider,
  TelemetryQuery,
  TelemetryResult,
  TelemetrySignal,
} from '@ai-triage/plugin-ai-triage-node';
import { z } from 'zod';
import { peerServiceOf } from '../otlp';
import { HttpEndpoint, getJson } from './getJson';

const tag = z.object({
  key: z.string(),
  type: z.string().optional(),
  value: z.unknown().optional(),
});

const jaegerSpan = z.object({
  traceID: z.string(),
  spanID: z.string(),
  operationName: z.string(),
  references: z
    .array(
      z.object({
        refType: z.string(),
        traceID: z.string(),
        spanID: z.string(),
      }),
    )
    .nullish(),
  startTime: z.number(),
  duration: z.number(),
  tags: z.array(tag).nullish(),
  processID: z.string(),
});

/** The answer of the Jaeger query service's `GET /api/traces` (its JSON API for the UI). */
const tracesResponse = z.object({
  data: z
    .array(
      z.object({
        traceID: z.string(),
        spans: z.array(jaegerSpan),
        processes: z.record(
          z.string(),
          z.looseObject({ serviceName: z.string() }),
        ),
      }),
    )
    .nullish(),
  errors: z
    .array(z.object({ code: z.number().optional(), msg: z.string() }))
    .nullish(),
});

/** `span.kind` tag values (OpenTracing and the OTLP translation) as OTLP SpanKind. */
const SPAN_KINDS: Record<string, number> = {
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};

type JaegerProviderOptions = {
  name: string;
  endpoint: HttpEndpoint;
  /** Traces read per window: the failing ones first, then the most recent. Default 20. */
  maxTraces?: number;
  timeoutMs?: number;
  servesAllEntities?: boolean;
};

/**
 * Spans from Jaeger's query service: `GET /api/traces?service=...` for the window, once for
 * traces tagged `error=true` and once for the most recent, keeping the service's own spans.
 * Tags become attributes; `span.kind`, `otel.status_code`/`error` and `CHILD_OF` references give
 * the kind, status and parent as OTLP has them. Errors Jaeger reports are named in `missing`.
 */
export class JaegerTelemetryProvider implements TelemetryProvider {
  readonly signals: TelemetrySignal[] = ['spans'];
  readonly name: string;
  readonly timeoutMs?: number;
  readonly servesAllEntities?: boolean;

  static create(options: JaegerProviderOptions): JaegerTelemetryProvider {
    return new JaegerTelemetryProvider(options);
  }

  private constructor(private readonly options: JaegerProviderOptions) {
    this.name = options.name;
    this.timeoutMs = options.timeoutMs;
    this.servesAllEntities = options.servesAllEntities;
  }

  async fetch(
    query: TelemetryQuery,
    options: { signal: AbortSignal },
  ): Promise<TelemetryResult> {
    const maxTraces = this.options.maxTraces ?? 20;
    const params = {
      service: query.serviceName,
      start: String(query.fromMs * 1000),
      end: String(query.toMs * 1000),
      limit: String(maxTraces),
    };
    const answers = await Promise.all(
      [
        { tags: JSON.stringify({ error: 'true' }) },
        {} as Record<string, string>,
      ].map(async (extra: Record<string, string>) => {
        const body = await getJson(
          this.options.endpoint,
          '/api/traces',
          { ...params, ...extra },
          options.signal,
        );
        const parsed = tracesResponse.safeParse(body);
        if (!parsed.success) {
          throw new Error('the /api/traces answer is not a list of traces');
        }
        return parsed.data;
      }),
    );

    const missing = [
      ...new Set(
        answers.flatMap(answer =>
          (answer.errors ?? []).map(error => `${this.name}: ${error.msg}`),
        ),
      ),
    ];
    const seen = new Set<string>();
    const spans: SpanRecord[] = [];
    let traceCount = 0;
    for (const answer of answers) {
      for (const trace of answer.data ?? []) {
        if (seen.has(trace.traceID) || traceCount >= maxTraces) continue;
        seen.add(trace.traceID);
        traceCount++;
        for (const span of trace.spans) {
          const serviceName = trace.processes[span.processID]?.serviceName;
          const record = toSpanRecord(span, serviceName ?? '');
          if (
            record.serviceName === query.serviceName &&
            record.startTimeMs >= query.fromMs &&
            record.startTimeMs < query.toMs
          ) {
            spans.push(record);
          }
        }
      }
    }

    spans.sort((a, b) => a.startTimeMs - b.startTimeMs);
    const limit = Math.max(0, Math.floor(query.limit));
    const truncated =
      spans.length > limit ||
      answers.some(answer => (answer.data ?? []).length >= maxTraces);
    return {
      spans: spans.slice(Math.max(0, spans.length - limit)),
      truncated: truncated ? ['spans'] : [],
      missing,
    };
  }
}

function toSpanRecord(
  span: z.infer<typeof jaegerSpan>,
  serviceName: string,
): SpanRecord {
  const attributes: TelemetryAttributes = {};
  for (const { key, value } of span.tags ?? []) {
    if (
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean'
    ) {
      attributes[key] = value;
    }
  }
  const kind = SPAN_KINDS[String(attributes['span.kind'] ?? '')] ?? 0;
  const otelStatus = String(attributes['otel.status_code'] ?? '').toUpperCase();
  const failed =
    otelStatus === 'ERROR' ||
    attributes.error === true ||
    attributes.error === 'true';
  let statusCode = otelStatus === 'OK' ? 1 : 0;
  if (failed) statusCode = 2;
  const parent = (span.references ?? []).find(
    reference => reference.refType === 'CHILD_OF',
  );
  return {
    traceId: span.traceID.toLowerCase().padStart(32, '0'),
    spanId: span.spanID.toLowerCase().padStart(16, '0'),
    parentSpanId: parent ? parent.spanID.toLowerCase().padStart(16, '0') : null,
    serviceName,
    name: span.operationName,
    kind,
    startTimeMs: Math.floor(span.startTime / 1000),
    durationMs: span.duration / 1000,
    statusCode,
    statusMessage:
      typeof attributes['otel.status_description'] === 'string'
        ? attributes['otel.status_description']
        : null,
    peerService: peerServiceOf(kind, attributes),
    attributes,
  };
}
