// Helpers for writing synthetic OTLP/JSON (ExportTraceServiceRequest, ExportMetricsServiceRequest,
// ExportLogsServiceRequest) in scenario generators. Plain Node ESM, no dependencies.
//
// OTLP/JSON conventions followed here: trace and span ids are lowercase hex strings, 64-bit
// integers (`*UnixNano`, `intValue`, histogram counts) are decimal strings, enums are integers.

/** OTLP SpanKind. */
export const SpanKind = {
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
};

/** OTLP StatusCode. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 };

/** OTLP SeverityNumber of the usual levels. */
export const Severity = {
  DEBUG: { number: 5, text: 'DEBUG' },
  INFO: { number: 9, text: 'INFO' },
  WARN: { number: 13, text: 'WARN' },
  ERROR: { number: 17, text: 'ERROR' },
};

/** OTLP AggregationTemporality. */
export const Temporality = { DELTA: 1, CUMULATIVE: 2 };

/**
 * A small seeded pseudo-random generator (mulberry32), so scenarios are reproducible.
 * Returns helpers over one stream of numbers in [0, 1).
 */
export function createRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** Uniform in [min, max). */
    between: (min, max) => min + (max - min) * next(),
    /** Integer in [min, max]. */
    int: (min, max) => min + Math.floor((max - min + 1) * next()),
    /** True with the given probability. */
    chance: probability => next() < probability,
    /** `bytes` random bytes as lowercase hex. */
    hex: bytes => {
      let out = '';
      for (let i = 0; i < bytes; i++) {
        out += Math.floor(next() * 256)
          .toString(16)
          .padStart(2, '0');
      }
      return out;
    },
  };
}

/** Mixes two 32-bit numbers into a seed (for "same scenario, fresh ids per run"). */
export function mixSeed(a, b) {
  let h = (a ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (b >>> 0), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Epoch milliseconds (fractions allowed, kept to the microsecond) as an OTLP nanosecond string. */
export function toUnixNano(ms) {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

/** One OTLP AnyValue from a JS scalar. Integers become `intValue` (as strings). */
export function anyValue(value) {
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? { intValue: String(value) }
      : { doubleValue: value };
  }
  return { stringValue: String(value) };
}

/** An OTLP KeyValue list from a plain object; undefined values are left out. */
export function attributes(object) {
  return Object.entries(object)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** A generic histogram data point (delta temporality) over a list of values. */
export function histogramPoint({
  values,
  bounds,
  startMs,
  endMs,
  attributes: attrs,
}) {
  const bucketCounts = new Array(bounds.length + 1).fill(0);
  for (const value of values) {
    let index = bounds.findIndex(bound => value <= bound);
    if (index === -1) index = bounds.length;
    bucketCounts[index]++;
  }
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    startTimeUnixNano: toUnixNano(startMs),
    timeUnixNano: toUnixNano(endMs),
    count: String(values.length),
    sum: round(sum, 6),
    ...(values.length
      ? {
          min: round(Math.min(...values), 6),
          max: round(Math.max(...values), 6),
        }
      : {}),
    bucketCounts: bucketCounts.map(String),
    explicitBounds: bounds,
    attributes: attributes(attrs ?? {}),
  };
}

/** Rounds to `digits` decimals. */
export function round(value, digits = 3) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

const RECORD_PATHS = {
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
};

/** Number of records (spans, metrics, log records) in an OTLP/JSON body of a signal. */
export function countRecords(signal, body) {
  const [resources, scopes, records] = RECORD_PATHS[signal];
  let count = 0;
  for (const resource of body[resources] ?? []) {
    for (const scope of resource[scopes] ?? []) {
      count += scope[records]?.length ?? 0;
    }
  }
  return count;
}

/**
 * Splits an OTLP/JSON body into several bodies of at most `maxRecords` records each, keeping
 * every record under its own resource and scope, as a batching exporter would.
 */
export function splitOtlp(signal, body, maxRecords) {
  const [resources, scopes, records] = RECORD_PATHS[signal];
  const batches = [];
  let current = null;
  let currentCount = 0;
  const startBatch = () => {
    current = { [resources]: [] };
    currentCount = 0;
    batches.push(current);
  };
  startBatch();
  for (const resource of body[resources] ?? []) {
    for (const scope of resource[scopes] ?? []) {
      const items = scope[records] ?? [];
      let offset = 0;
      while (offset < items.length) {
        if (currentCount >= maxRecords) startBatch();
        const take = Math.min(maxRecords - currentCount, items.length - offset);
        const { [scopes]: _unused, ...resourceRest } = resource;
        const { [records]: _unusedRecords, ...scopeRest } = scope;
        let target = current[resources].find(r => r.__source === resource);
        if (!target) {
          target = { ...resourceRest, [scopes]: [] };
          Object.defineProperty(target, '__source', { value: resource });
          current[resources].push(target);
        }
        target[scopes].push({
          ...scopeRest,
          [records]: items.slice(offset, offset + take),
        });
        offset += take;
        currentCount += take;
      }
    }
  }
  return batches.filter(batch => batch[resources].length > 0);
}
