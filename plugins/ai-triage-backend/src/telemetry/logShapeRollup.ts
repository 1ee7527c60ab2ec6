import { LogRecord } from '@ai-triage/plugin-ai-triage-node';
import { logShapeKey } from './logShapeKey';
import { levelRank } from './logLevel';

/** Compares strings by code unit, independent of the locale. */
export function compareText(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

export type LogShapeCountRow = {
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

export const MINUTE_MS = 60_000;
/** Longest example kept per rollup row: what the miner reads of a message. */
const MAX_EXAMPLE_LENGTH = 4096;

/**
 * The batch's logs counted per service, minute, shape and level: one row each, in key order.
 * A message is masked once per distinct body in the batch, in slices of at most 10 ms that
 * yield to the event loop (20k distinct bodies take over 100 ms).
 */
export async function logShapeCountRows(
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
