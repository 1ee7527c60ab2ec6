import {
  SpanRecord,
  TelemetryProvider,
  TelemetryQuery,
  TelemetryResult,
  TelemetrySignal,
} from '@ai-triage/plugin-ai-triage-node';
import { z } from 'zod';
import { readOtlpTraces } from '../otlp';
import { HttpEndpoint, getJson } from './getJson';

const searchResponse = z.object({
  traces: z
    .array(
      z.object({
        traceID: z.string(),
        rootServiceName: z.string().optional(),
        startTimeUnixNano: z.string().optional(),
        durationMs: z.number().optional(),
      }),
    )
    .nullish(),
});

/** OTLP enums as protobuf's JSON mapping writes them by name (Tempo does). */
const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

/** Traces fetched by id at once. */
const FETCH_CONCURRENCY = 4;

type TempoProviderOptions = {
  name: string;
  endpoint: HttpEndpoint;
  /** Traces read per window: the failing ones first, then the most recent. Default 20. */
  maxTraces?: number;
  timeoutMs?: number;
  servesAllEntities?: boolean;
};

/**
 * Spans from Grafana Tempo: TraceQL search (`/api/search`) for the service's failing traces and
 * its recent ones in the window, then each trace by id (`/api/traces/<id>`, OTLP as protobuf's
 * JSON mapping writes it: `batches` of resource spans, base64 ids, enum names), keeping the
 * service's own spans. A trace that cannot be read is named in `missing`.
 */
export class TempoTelemetryProvider implements TelemetryProvider {
  readonly signals: TelemetrySignal[] = ['spans'];
  readonly name: string;
  readonly timeoutMs?: number;
  readonly servesAllEntities?: boolean;

  static create(options: TempoProviderOptions): TempoTelemetryProvider {
    return new TempoTelemetryProvider(options);
  }

  private constructor(private readonly options: TempoProviderOptions) {
    this.name = options.name;
    this.timeoutMs = options.timeoutMs;
    this.servesAllEntities = options.servesAllEntities;
  }

  async fetch(
    query: TelemetryQuery,
    options: { signal: AbortSignal },
  ): Promise<TelemetryResult> {
    const maxTraces = this.options.maxTraces ?? 20;
    const service = `resource.service.name = ${JSON.stringify(
      query.serviceName,
    )}`;
    const range = {
      start: String(Math.floor(query.fromMs / 1000)),
      end: String(Math.ceil(query.toMs / 1000)),
      limit: String(maxTraces),
    };
    const [failing, recent] = await Promise.all(
      [`{ ${service} && status = error }`, `{ ${service} }`].map(
        async traceql => {
          const body = await getJson(
            this.options.endpoint,
            '/api/search',
            { ...range, q: traceql },
            options.signal,
          );
          const parsed = searchResponse.safeParse(body);
          if (!parsed.success) {
            throw new Error('the /api/search answer has no list of traces');
          }
          return parsed.data.traces ?? [];
        },
      ),
    );
    const traceIds = [
      ...new Set([...failing, ...recent].map(t => t.traceID)),
    ].slice(0, maxTraces);

    const missing: string[] = [];
    const spans: SpanRecord[] = [];
    for (let i = 0; i < traceIds.length; i += FETCH_CONCURRENCY) {
      const batch = traceIds.slice(i, i + FETCH_CONCURRENCY);
      const settled = await Promise.allSettled(
        batch.map(id =>
          getJson(
            this.options.endpoint,
            `/api/traces/${encodeURIComponent(id)}`,
            {},
            options.signal,
          ),
        ),
      );
      settled.forEach((outcome, index) => {
        if (outcome.status === 'rejected') {
          missing.push(
            `${this.name}: trace ${batch[index]}: ${
              (outcome.reason as Error)?.message ?? outcome.reason
            }`,
          );
          return;
        }
        const read = readOtlpTraces(asOtlpJson(outcome.value));
        if (read.rejected > 0) {
          missing.push(
            `${this.name}: trace ${batch[index]}: ${read.rejected} spans unreadable: ${read.errorMessage}`,
          );
        }
        spans.push(
          ...read.records.filter(
            span =>
              span.serviceName === query.serviceName &&
              span.startTimeMs >= query.fromMs &&
              span.startTimeMs < query.toMs,
          ),
        );
      });
    }
    options.signal.throwIfAborted();

    spans.sort((a, b) => a.startTimeMs - b.startTimeMs);
    const limit = Math.max(0, Math.floor(query.limit));
    const truncated =
      spans.length > limit ||
      failing.length >= maxTraces ||
      recent.length >= maxTraces;
    return {
      spans: spans.slice(Math.max(0, spans.length - limit)),
      truncated: truncated ? ['spans'] : [],
      missing,
    };
  }
}

/**
 * A Tempo trace (`{batches}` from /api/traces, `{resourceSpans}` or `{trace: {resourceSpans}}`
 * from /api/v2/traces) as an OTLP/JSON request: hex ids and numeric enums.
 */
function asOtlpJson(body: unknown): unknown {
  const trace = (body as { trace?: unknown })?.trace ?? body;
  const { batches, resourceSpans } = (trace ?? {}) as {
    batches?: unknown[];
    resourceSpans?: unknown[];
  };
  const normalized = structuredClone(resourceSpans ?? batches ?? []);
  for (const resource of normalized as Array<{
    scopeSpans?: Array<{ spans?: Array<Record<string, any>> }>;
    instrumentationLibrarySpans?: Array<{ spans?: Array<Record<string, any>> }>;
  }>) {
    resource.scopeSpans ??= resource.instrumentationLibrarySpans;
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        span.traceId = hexId(span.traceId, 16);
        span.spanId = hexId(span.spanId, 8);
        if (span.parentSpanId) span.parentSpanId = hexId(span.parentSpanId, 8);
        if (typeof span.kind === 'string') span.kind = SPAN_KINDS[span.kind];
        if (typeof span.status?.code === 'string') {
          span.status.code = STATUS_CODES[span.status.code];
        }
      }
    }
  }
  return { resourceSpans: normalized };
}

/** An id as hex: kept when it already is, else read as base64 (protobuf's JSON mapping). */
function hexId(id: unknown, bytes: number): unknown {
  if (typeof id !== 'string') return id;
  if (new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(id)) return id;
  const decoded = Buffer.from(id, 'base64');
  return decoded.length === bytes ? decoded.toString('hex') : id;
}
