/**
 * What one record (span, log record, metric, resource) may hold, checked by one iterative walk
 * before any recursive parsing, so a hostile record is counted as rejected instead of
 * overflowing the stack or holding the event loop (`aiTriage.otlp.*`, see config.d.ts).
 */
export type OtlpLimits = {
  /** Deepest JSON nesting of one record (an AnyValue level is up to four). */
  maxDepth: number;
  /** Attributes of one record, resource or data point. */
  maxAttributes: number;
  /** Entries of any other list of one record (array values, key-value lists, data points). */
  maxEntries: number;
  /** Longest string (attribute value, body, name). */
  maxStringLength: number;
  /** How far after now a record's time may lie (the exporter's clock ahead). */
  maxClockSkewMs: number;
  /** How far before now a record's time may lie. */
  maxTimestampAgeMs: number;
};

export const DEFAULT_OTLP_LIMITS: OtlpLimits = {
  maxDepth: 32,
  maxAttributes: 256,
  maxEntries: 10_000,
  maxStringLength: 65_536,
  maxClockSkewMs: 300_000,
  maxTimestampAgeMs: 3650 * 86_400_000,
};

/**
 * How an export is read: the limits, and the receiver's clock. Without `nowMs` (telemetry read
 * back from Tempo, say) times are not checked against a window.
 */
export type OtlpReadOptions = { limits?: OtlpLimits; nowMs?: number };
