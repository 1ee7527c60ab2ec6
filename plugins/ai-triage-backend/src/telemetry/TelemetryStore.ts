import {
  LogRecord,
  MetricPoint,
  SpanRecord,
  TelemetryProvider,
  TelemetryQuery,
} from '@ai-triage/plugin-ai-triage-node';

/** Records of any of the three signals, as one OTLP export delivers them. */
export type TelemetryBatch = {
  spans?: SpanRecord[];
  logs?: LogRecord[];
  metrics?: MetricPoint[];
};

/** The embedded telemetry store: what the OTLP receiver writes and retention trims. */
export interface TelemetryStore {
  /**
   * Stores a batch in one transaction. A span already stored (same trace and span id) is
   * skipped, so an exporter's retry changes nothing; `accepted` counts it all the same.
   */
  ingest(batch: TelemetryBatch): Promise<{ accepted: number }>;

  /** Deletes every record older than the cutoff; returns how many went. */
  purgeOlderThan(cutoffMs: number): Promise<number>;
}

/**
 * How many log records of one message shape (see `logShapeKey`) and level a service wrote in a
 * window, from rollups kept as records arrive.
 */
export type LogShapeCount = {
  shapeKey: string;
  /** Level rank, 0 (unspecified) to 6 (fatal), as `levelRank` gives it. */
  levelRank: number;
  count: number;
  firstMs: number;
  lastMs: number;
  /** One message of the shape (the first one stored in a minute of the window). */
  example: string;
  /** The smallest trace id of its records; null when none has one. */
  traceId: string | null;
};

/** Log shape counts of a window, and whether they are all of them. */
export type LogShapeCounts = {
  shapes: LogShapeCount[];
  /** False when the window held more shapes than were returned (the most frequent first). */
  complete: boolean;
};

/**
 * A telemetry provider that also keeps log shape counts: enrichment counts log templates from
 * them exactly and uses the (capped) log records it fetches only for samples and trace ids.
 */
export interface LogShapeCountSource extends TelemetryProvider {
  /** Counts of the minutes that start in [fromMs, toMs), for the query's service. */
  logShapeCounts(
    query: TelemetryQuery,
    options: { signal: AbortSignal },
  ): Promise<LogShapeCounts>;
}

export function isLogShapeCountSource(
  provider: TelemetryProvider,
): provider is LogShapeCountSource {
  return (
    typeof (provider as Partial<LogShapeCountSource>).logShapeCounts ===
    'function'
  );
}

/**
 * A telemetry provider that can read whole traces across services: enrichment reads the traces
 * of the alerted service's spans to build the service graph of the incident (who calls whom,
 * where time and errors arise), whatever service the other spans belong to.
 */
export interface TraceSpanSource extends TelemetryProvider {
  /**
   * Spans of any service that belong to one of `traceIds` and start in [fromMs, toMs), at most
   * `limit` (the rest left out, the result then says `truncated`).
   */
  spansOfTraces(
    query: { traceIds: string[]; fromMs: number; toMs: number; limit: number },
    options: { signal: AbortSignal },
  ): Promise<{ spans: SpanRecord[]; truncated: boolean }>;
}

export function isTraceSpanSource(
  provider: TelemetryProvider,
): provider is TraceSpanSource {
  return (
    typeof (provider as Partial<TraceSpanSource>).spansOfTraces === 'function'
  );
}
