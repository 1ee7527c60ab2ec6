import type {
  ContextDocument,
  HypothesisSet,
} from '@ai-triage/plugin-ai-triage-common';

/** Attribute values as OpenTelemetry carries them, flattened to scalars. @public */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/** One finished span. Times are epoch milliseconds. @public */
export type SpanRecord = {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  serviceName: string;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeMs: number;
  durationMs: number;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string | null;
  /** The called service for client spans (`peer.service`, `server.address`, ...), else null. */
  peerService: string | null;
  attributes: TelemetryAttributes;
  /**
   * Spans this one is linked to (OTLP `Span.links`): a consumer of a queue links to the
   * producers of the messages it handles, whose traces it does not continue. Absent when none.
   */
  links?: SpanLink[];
};

/** A link from one span to another, possibly in another trace. @public */
export type SpanLink = {
  traceId: string;
  spanId: string;
};

/** One log record. @public */
export type LogRecord = {
  serviceName: string;
  timestampMs: number;
  severityText: string;
  severityNumber: number;
  body: string;
  traceId: string | null;
  spanId: string | null;
  attributes: TelemetryAttributes;
};

/** One metric data point (gauge or sum value; histogram points carry their mean). @public */
export type MetricPoint = {
  serviceName: string;
  name: string;
  timestampMs: number;
  value: number;
  attributes: TelemetryAttributes;
};

/** The three telemetry signals. @public */
export type TelemetrySignal = 'spans' | 'logs' | 'metrics';

/** The service and time range enrichment asks telemetry for. @public */
export type TelemetryQuery = {
  serviceName: string;
  fromMs: number;
  toMs: number;
  /** Upper bound on records per signal; providers stop reading there and say so. */
  limit: number;
  /**
   * The catalog entity the incident is linked to, when it is: its ref and annotations, from
   * which providers read per-entity overrides (for example `ai-triage.io/prometheus-selector`).
   */
  entity?: { ref: string; annotations: Record<string, string> };
};

/** What one provider returned; a signal it does not serve is left out. @public */
export type TelemetryResult = {
  spans?: SpanRecord[];
  logs?: LogRecord[];
  metrics?: MetricPoint[];
  /** Signals that hit `limit`. */
  truncated?: TelemetrySignal[];
  /**
   * What the provider could not read although it answered (one query of several failed, say),
   * each naming the signal or query: it goes into the context's `missing`.
   */
  missing?: string[];
};

/**
 * A source of traces, metrics and logs for enrichment: the embedded OTLP store, Prometheus,
 * Loki, Tempo, Jaeger, ... A provider that throws or times out yields a partial context.
 *
 * @public
 */
export interface TelemetryProvider {
  /** Unique among the providers; entities name providers by it (`ai-triage.io/telemetry-providers`). */
  readonly name: string;
  /** The signals it serves, named in the context's `missing` when it fails. Default: all three. */
  readonly signals?: TelemetrySignal[];
  /** Its own timeout, in place of `aiTriage.enrichment.providerTimeoutSeconds`. */
  readonly timeoutMs?: number;
  /**
   * Whether it serves entities that name no providers. Default true; an entity annotated
   * `ai-triage.io/telemetry-providers` gets exactly the providers it names.
   */
  readonly servesAllEntities?: boolean;
  fetch(
    query: TelemetryQuery,
    options: { signal: AbortSignal },
  ): Promise<TelemetryResult>;
}

/**
 * Turns a context document into up to three root-cause hypotheses.
 *
 * @public
 */
export interface Reasoner {
  readonly name: string;
  /** The model that answers (LLM reasoners); stored with each triage run. */
  readonly model?: string;
  /** The prompt version it asks with (LLM reasoners); stored with each triage run. */
  readonly promptVersion?: string;
  reason(context: ContextDocument): Promise<HypothesisSet>;
}
