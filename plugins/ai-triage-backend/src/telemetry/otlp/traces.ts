import { InputError } from '@backstage/errors';
import {
  LogRecord,
  MetricPoint,
  SpanRecord,
  TelemetryAttributes,
} from '@ai-triage/plugin-ai-triage-node';
import { z } from 'zod';
import { fromZodError } from '../../ingest/fromZodError';
import { findBoundsProblem } from '../../service/inputBounds';

/*
 * OTLP/HTTP JSON (opentelemetry-proto `ExportTraceServiceRequest`, `ExportMetricsServiceRequest`,
 * `ExportLogsServiceRequest`) turned into the store's records. The JSON mapping follows the
 * OTLP specification: trace and span ids are hex strings, 64-bit integers may be strings or
 * numbers, enums are integers, and proto3 leaves out fields that hold their default value, so
 * most fields are optional here. Unknown fields are ignored.
 *
 * A request whose structure is wrong (not an object, a list that is not a list) is rejected
 * whole with an InputError. A single record that is invalid (a bad id, a time that is not a
 * number, a resource whose service.name is too long) is left out and counted, as OTLP's
 * partial success reports it: the exporter's other records are stored.
 */

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

/** service.name when a resource names none, as the OpenTelemetry SDKs do. */
export const UNKNOWN_SERVICE = 'unknown_service';

/** Longest service, metric and severity name the store's columns hold. */
const MAX_NAME_LENGTH = 255;

/** OTLP SpanKind CLIENT. */
const SPAN_KIND_CLIENT = 3;

/** DataPointFlags.FLAG_NO_RECORDED_VALUE: the point is a placeholder without a value. */
const FLAG_NO_RECORDED_VALUE = 1;

/**
 * Attributes that name the service a client span calls, most specific first: the explicit
 * `peer.service`, then the address of the server (current and legacy semantic conventions),
 * then the kind of system for databases and brokers.
 */
const PEER_ATTRIBUTES = [
  'peer.service',
  'server.address',
  'net.peer.name',
  'db.system.name',
  'db.system',
  'messaging.system',
  'rpc.service',
];

/** SeverityNumber ranges of the OpenTelemetry log data model, for records without a text. */
const SEVERITY_NAMES: Array<[number, string]> = [
  [21, 'FATAL'],
  [17, 'ERROR'],
  [13, 'WARN'],
  [9, 'INFO'],
  [5, 'DEBUG'],
  [1, 'TRACE'],
];

// ---------------------------------------------------------------------------------------------
// Scalars

/** A uint64 (`*UnixNano`, counts): a decimal string or a JSON number. */
const uint64 = z.unknown().transform((value, ctx): bigint => {
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) {
    return BigInt(value);
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    return BigInt(value);
  }
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message: `expected an unsigned 64-bit integer as a decimal string or number, got ${describe(
      value,
    )}`,
  });
  return z.NEVER;
});

/** An int64 (`intValue`, `asInt`): a decimal string or a JSON number. */
const int64 = z.unknown().transform((value, ctx): bigint => {
  if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) {
    return BigInt(value);
  }
  if (typeof value === 'number' && Number.isInteger(value)) {
    return BigInt(value);
  }
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message: `expected a 64-bit integer as a decimal string or number, got ${describe(
      value,
    )}`,
  });
  return z.NEVER;
});

/** A double: a JSON number, or "NaN" / "Infinity" / "-Infinity" as proto3 JSON writes them. */
const double = z.unknown().transform((value, ctx): number => {
  if (typeof value === 'number') {
    return value;
  }
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') {
    return Number(value);
  }
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message: `expected a number, got ${describe(value)}`,
  });
  return z.NEVER;
});

/**
 * Trace and span ids: hex of a fixed length, any case; stored lowercase. Where the id is
 * optional, proto3 JSON writes "" (or nothing) for "none", which becomes null.
 */
function hexId(bytes: number, what: string) {
  const pattern = new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`);
  return z
    .string({ invalid_type_error: `expected a ${what} as a hex string` })
    .regex(pattern, `expected a ${what} of ${bytes * 2} hex characters`)
    .transform(id => id.toLowerCase());
}

function optionalHexId(bytes: number, what: string) {
  const pattern = new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`);
  return z
    .string({ invalid_type_error: `expected a ${what} as a hex string` })
    .optional()
    .refine(
      id => !id || pattern.test(id),
      `expected a ${what} of ${bytes * 2} hex characters, or ""`,
    )
    .transform(id => (id ? id.toLowerCase() : null));
}

function enumInt(max: number) {
  return z
    .number({ invalid_type_error: 'expected an integer enum value' })
    .int(`expected an integer from 0 to ${max}`)
    .min(0, `expected an integer from 0 to ${max}`)
    .max(max, `expected an integer from 0 to ${max}`)
    .default(0);
}

const nameString = z.string().max(MAX_NAME_LENGTH);

// ---------------------------------------------------------------------------------------------
// AnyValue and attributes

type OtlpAnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: bigint;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
};

type OtlpKeyValue = { key: string; value?: OtlpAnyValue };

// Built once: z.lazy calls its getter on every parse, so it only returns the finished schema.
const anyValueSchema: z.ZodType<OtlpAnyValue, z.ZodTypeDef, unknown> = z.lazy(
  // eslint-disable-next-line @typescript-eslint/no-use-before-define
  () => anyValueObject,
);
const anyValueObject: z.ZodType<OtlpAnyValue, z.ZodTypeDef, unknown> = z.object(
  {
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: int64.optional(),
    doubleValue: double.optional(),
    bytesValue: z.string().optional(),
    arrayValue: z
      .object({ values: z.array(anyValueSchema).optional() })
      .optional(),
    kvlistValue: z
      .object({
        values: z
          .array(
            z.object({ key: z.string(), value: anyValueSchema.optional() }),
          )
          .optional(),
      })
      .optional(),
  },
);

const keyValueSchema: z.ZodType<OtlpKeyValue, z.ZodTypeDef, unknown> = z.object(
  {
    key: z.string(),
    value: anyValueSchema.optional(),
  },
);

const attributesSchema = z.array(keyValueSchema).optional();

const resourceSchema = z
  .object({ attributes: attributesSchema })
  .optional()
  .superRefine((resource, ctx) => {
    const serviceName = serviceNameOf(resource);
    if (serviceName.length > MAX_NAME_LENGTH) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['attributes'],
        message: `service.name is longer than ${MAX_NAME_LENGTH} characters`,
      });
    }
  });

/** A JSON-able value of any depth, for arrays and key-value lists. */
function plainValue(value: OtlpAnyValue | undefined): unknown {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return intToScalar(value.intValue);
  if (value.doubleValue !== undefined) {
    return Number.isFinite(value.doubleValue)
      ? value.doubleValue
      : String(value.doubleValue);
  }
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(plainValue);
  if (value.kvlistValue) {
    const object: Record<string, unknown> = {};
    for (const kv of value.kvlistValue.values ?? []) {
      object[kv.key] = plainValue(kv.value);
    }
    return object;
  }
  return null;
}

/** A scalar attribute value: arrays and key-value lists become their JSON text. */
function scalarValue(
  value: OtlpAnyValue | undefined,
): string | number | boolean | undefined {
  const plain = plainValue(value);
  if (plain === null) return undefined;
  if (typeof plain === 'object') return JSON.stringify(plain);
  return plain as string | number | boolean;
}

function intToScalar(value: bigint): number | string {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
}

function flattenAttributes(
  attributes: OtlpKeyValue[] | undefined,
): TelemetryAttributes {
  const flat: TelemetryAttributes = {};
  for (const { key, value } of attributes ?? []) {
    const scalar = scalarValue(value);
    if (scalar !== undefined) {
      flat[key] = scalar;
    }
  }
  return flat;
}

/**
 * Resource attributes copied onto every span and log record of the resource, so enrichment can
 * tell versions and process instances apart (a deploy is a new `service.version`, a restart a
 * new `service.instance.id`). Metric points do not get them: they would split every series.
 */
export const RECORD_RESOURCE_ATTRIBUTES = [
  'service.version',
  'service.instance.id',
] as const;

function recordResourceAttributes(resource: unknown): TelemetryAttributes {
  const flat = flattenAttributes(
    (resource as { attributes?: OtlpKeyValue[] } | undefined)?.attributes,
  );
  const picked: TelemetryAttributes = {};
  for (const key of RECORD_RESOURCE_ATTRIBUTES) {
    if (flat[key] !== undefined && flat[key] !== '') picked[key] = flat[key];
  }
  return picked;
}

function serviceNameOf(
  resource: { attributes?: OtlpKeyValue[] } | undefined,
): string {
  const name = flattenAttributes(resource?.attributes)['service.name'];
  return name === undefined || name === '' ? UNKNOWN_SERVICE : String(name);
}

function bodyText(body: OtlpAnyValue | undefined): string {
  if (body?.stringValue !== undefined) return body.stringValue;
  const scalar = scalarValue(body);
  return scalar === undefined ? '' : String(scalar);
}

// ---------------------------------------------------------------------------------------------
// Partial success

/** Records parsed from one export, and how many were left out (OTLP partial success). */
export type OtlpParseResult<T> = {
  records: T[];
  /** Records (spans, log records, data points) rejected as invalid. */
  rejected: number;
  /** What was wrong with the first rejected records, naming their paths; "" when none was. */
  errorMessage: string;
};

/** The latest instant a JavaScript Date holds (+275760-09-13). */
const MAX_DATE_MS = 8.64e15;

/** A path as fromZodError writes it: `resourceLogs[0].scopeLogs[0].logRecords[2]`. */
function formatPath(path: Array<string | number>): string {
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${part}`,
    )
    .join('');
}

/** Longest errorMessage of a partial success; the first problems are enough to fix a sender. */
const MAX_ERROR_MESSAGE = 1000;

class ParseResultBuilder<T> {
  readonly records: T[] = [];
  private rejected = 0;
  private readonly messages: string[] = [];
  private readonly limits: OtlpLimits;
  private readonly nowMs?: number;

  constructor(options: OtlpReadOptions = {}) {
    this.limits = options.limits ?? DEFAULT_OTLP_LIMITS;
    this.nowMs = options.nowMs;
  }

  /**
   * Whether the record's time (Unix nanoseconds) lies in the window around now; else the record
   * is counted as rejected. Always false for times no JavaScript date can hold (1e300).
   */
  inWindow(nanos: bigint, path: Array<string | number>): boolean {
    const ms = Number(nanos / 1_000_000n);
    let problem: string | undefined;
    if (ms > MAX_DATE_MS) {
      problem = 'is not a time any date can hold';
    } else if (this.nowMs !== undefined) {
      if (ms > this.nowMs + this.limits.maxClockSkewMs) {
        problem = `lies ${Math.round(
          (ms - this.nowMs) / 1000,
        )} s ahead of the receiver's clock, over the allowed ${
          this.limits.maxClockSkewMs / 1000
        } s (aiTriage.otlp.maxClockSkewSeconds)`;
      } else if (ms < this.nowMs - this.limits.maxTimestampAgeMs) {
        problem = `lies more than ${
          this.limits.maxTimestampAgeMs / 86_400_000
        } days in the past (aiTriage.otlp.maxTimestampAgeDays)`;
      }
    }
    if (!problem) return true;
    this.reject(1, `${formatPath(path)}: ${problem}`);
    return false;
  }

  private reject(count: number, message: string): void {
    this.rejected += count;
    if (this.messages.join('; ').length < MAX_ERROR_MESSAGE) {
      this.messages.push(message);
    }
  }

  /** The resource's service.name, or undefined when the resource is invalid (all rejected). */
  serviceNameOf(
    raw: unknown,
    path: Array<string | number>,
    recordCount: number,
  ): string | undefined {
    const resource = this.check(resourceSchema, raw, path, recordCount);
    if (resource === undefined && raw !== undefined) return undefined;
    return serviceNameOf(resource);
  }

  /** The record parsed, or undefined when it is invalid (then counted as `count` rejected). */
  check<Out>(
    schema: z.ZodType<Out, z.ZodTypeDef, unknown>,
    raw: unknown,
    path: Array<string | number>,
    count = 1,
  ): Out | undefined {
    const bounds = findBoundsProblem(
      raw,
      {
        maxDepth: this.limits.maxDepth,
        maxEntries: this.limits.maxEntries,
        maxStringLength: this.limits.maxStringLength,
        maxAttributes: this.limits.maxAttributes,
      },
      formatPath(path),
    );
    if (bounds) {
      this.reject(count, bounds);
      return undefined;
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    this.reject(
      count,
      fromZodError(
        new z.ZodError(
          parsed.error.issues.map(issue => ({
            ...issue,
            path: [...path, ...issue.path],
          })),
        ),
      ),
    );
    return undefined;
  }

  build(): OtlpParseResult<T> {
    const message = this.messages.join('; ');
    return {
      records: this.records,
      rejected: this.rejected,
      errorMessage:
        message.length > MAX_ERROR_MESSAGE
          ? `${message.slice(0, MAX_ERROR_MESSAGE)}...`
          : message,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Traces

const spanSchema = z
  .object({
    traceId: hexId(16, 'trace id'),
    spanId: hexId(8, 'span id'),
    parentSpanId: optionalHexId(8, 'parent span id'),
    name: z.string().default(''),
    kind: enumInt(5),
    startTimeUnixNano: uint64,
    endTimeUnixNano: uint64,
    attributes: attributesSchema,
    status: z
      .object({ code: enumInt(2), message: z.string().optional() })
      .optional(),
  })
  .superRefine((span, ctx) => {
    if (span.endTimeUnixNano < span.startTimeUnixNano) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['endTimeUnixNano'],
        message: 'is before startTimeUnixNano',
      });
    }
  });

const traceRequestSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.unknown(),
        scopeSpans: z
          .array(z.object({ spans: z.array(z.unknown()).optional() }))
          .optional(),
      }),
    )
    .optional(),
});

export function peerServiceOf(
  kind: number,
  attributes: TelemetryAttributes,
): string | null {
  if (kind !== SPAN_KIND_CLIENT) return null;
  for (const key of PEER_ATTRIBUTES) {
    const value = attributes[key];
    if (value !== undefined && value !== '') {
      return String(value).slice(0, MAX_NAME_LENGTH);
    }
  }
  const url = attributes['url.full'] ?? attributes['http.url'];
  if (typeof url === 'string') {
    try {
      return new URL(url).hostname.slice(0, MAX_NAME_LENGTH) || null;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Parses an OTLP/JSON `ExportTraceServiceRequest` into span records; invalid spans are counted
 * in `rejected`.
 *
 * @throws InputError when the request's structure is wrong
 */
export function readOtlpTraces(
  body: unknown,
  options?: OtlpReadOptions,
): OtlpParseResult<SpanRecord> {
  return runSync(traceSteps(body, options));
}

/** The steps of {@link readOtlpTraces}: one per span, so a caller can yield between them. */
export function* traceSteps(
  body: unknown,
  options?: OtlpReadOptions,
): OtlpSteps<SpanRecord> {
  const request = parse(traceRequestSchema, body, 'ExportTraceServiceRequest');
  const result = new ParseResultBuilder<SpanRecord>(options);
  for (const [r, resourceSpans] of (request.resourceSpans ?? []).entries()) {
    const records = (resourceSpans.scopeSpans ?? []).flatMap((scope, s) =>
      (scope.spans ?? []).map((span, i) => ({
        raw: span,
        path: ['resourceSpans', r, 'scopeSpans', s, 'spans', i],
      })),
    );
    const serviceName = result.serviceNameOf(
      resourceSpans.resource,
      ['resourceSpans', r, 'resource'],
      records.length,
    );
    if (serviceName === undefined) continue;
    const fromResource = recordResourceAttributes(resourceSpans.resource);
    for (const { raw, path } of records) {
      yield;
      const span = result.check(spanSchema, raw, path);
      if (
        !span ||
        !result.inWindow(span.startTimeUnixNano, [...path, 'startTimeUnixNano'])
      ) {
        continue;
      }
      const attributes = {
        ...fromResource,
        ...flattenAttributes(span.attributes),
      };
      result.records.push({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId,
        serviceName,
        name: span.name,
        kind: span.kind,
        startTimeMs: nanosToMs(span.startTimeUnixNano),
        durationMs: Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6,
        statusCode: span.status?.code ?? 0,
        statusMessage: span.status?.message || null,
        peerService: peerServiceOf(span.kind, attributes),
        attributes,
      });
    }
  }
  return result.build();
}

/**
 * Like {@link readOtlpTraces}, but all or nothing: any invalid record rejects the request.
 *
 * @throws InputError naming the path of the first bad fields
 */
export function parseOtlpTraces(body: unknown): SpanRecord[] {
  return allOrNothing(readOtlpTraces(body), 'ExportTraceServiceRequest');
}

// ---------------------------------------------------------------------------------------------
// Logs

const logRecordSchema = z
  .object({
    timeUnixNano: uint64.optional(),
    observedTimeUnixNano: uint64.optional(),
    severityNumber: enumInt(24),
    severityText: nameString.optional(),
    body: anyValueSchema.optional(),
    attributes: attributesSchema,
    traceId: optionalHexId(16, 'trace id'),
    spanId: optionalHexId(8, 'span id'),
    eventName: z.string().optional(),
  })
  .superRefine((record, ctx) => {
    if (!record.timeUnixNano && !record.observedTimeUnixNano) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['timeUnixNano'],
        message: 'neither timeUnixNano nor observedTimeUnixNano is set',
      });
    }
  });

const logsRequestSchema = z.object({
  resourceLogs: z
    .array(
      z.object({
        resource: z.unknown(),
        scopeLogs: z
          .array(z.object({ logRecords: z.array(z.unknown()).optional() }))
          .optional(),
      }),
    )
    .optional(),
});

function severityName(severityNumber: number): string {
  return SEVERITY_NAMES.find(([lowest]) => severityNumber >= lowest)?.[1] ?? '';
}

/**
 * Parses an OTLP/JSON `ExportLogsServiceRequest` into log records; invalid records are counted
 * in `rejected`. Records without a time take their observed time; a structured body becomes
 * its JSON text; an event's name is kept as the `event.name` attribute.
 *
 * @throws InputError when the request's structure is wrong
 */
export function readOtlpLogs(
  body: unknown,
  options?: OtlpReadOptions,
): OtlpParseResult<LogRecord> {
  return runSync(logSteps(body, options));
}

/** The steps of {@link readOtlpLogs}: one per log record. */
export function* logSteps(
  body: unknown,
  options?: OtlpReadOptions,
): OtlpSteps<LogRecord> {
  const request = parse(logsRequestSchema, body, 'ExportLogsServiceRequest');
  const result = new ParseResultBuilder<LogRecord>(options);
  for (const [r, resourceLogs] of (request.resourceLogs ?? []).entries()) {
    const records = (resourceLogs.scopeLogs ?? []).flatMap((scope, s) =>
      (scope.logRecords ?? []).map((record, i) => ({
        raw: record,
        path: ['resourceLogs', r, 'scopeLogs', s, 'logRecords', i],
      })),
    );
    const serviceName = result.serviceNameOf(
      resourceLogs.resource,
      ['resourceLogs', r, 'resource'],
      records.length,
    );
    if (serviceName === undefined) continue;
    const fromResource = recordResourceAttributes(resourceLogs.resource);
    for (const { raw, path } of records) {
      yield;
      const record = result.check(logRecordSchema, raw, path);
      if (!record) continue;
      const time = record.timeUnixNano || record.observedTimeUnixNano || 0n;
      if (!result.inWindow(time, [...path, 'timeUnixNano'])) continue;
      const attributes: TelemetryAttributes = {
        ...fromResource,
        ...flattenAttributes(record.attributes),
      };
      if (record.eventName) {
        attributes['event.name'] = record.eventName;
      }
      result.records.push({
        serviceName,
        timestampMs: nanosToMs(time),
        severityText:
          record.severityText || severityName(record.severityNumber),
        severityNumber: record.severityNumber,
        body: bodyText(record.body),
        traceId: record.traceId,
        spanId: record.spanId,
        attributes,
      });
    }
  }
  return result.build();
}

/**
 * Like {@link readOtlpLogs}, but all or nothing: any invalid record rejects the request.
 *
 * @throws InputError naming the path of the first bad fields
 */
export function parseOtlpLogs(body: unknown): LogRecord[] {
  return allOrNothing(readOtlpLogs(body), 'ExportLogsServiceRequest');
}

// ---------------------------------------------------------------------------------------------
// Metrics

const numberDataPointSchema = z
  .object({
    attributes: attributesSchema,
    timeUnixNano: uint64,
    asDouble: double.optional(),
    asInt: int64.optional(),
    flags: z.number().int().optional(),
  })
  .superRefine((point, ctx) => {
    const placeholder = ((point.flags ?? 0) & FLAG_NO_RECORDED_VALUE) !== 0;
    if (
      !placeholder &&
      point.asDouble === undefined &&
      point.asInt === undefined
    ) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: 'has neither asDouble nor asInt',
      });
    }
  });

/** Histogram, exponential histogram and summary points: only their sum and count are used. */
const aggregatePointSchema = z.object({
  attributes: attributesSchema,
  timeUnixNano: uint64,
  count: uint64.optional(),
  sum: double.optional(),
  flags: z.number().int().optional(),
});

const numberPoints = z.object({
  dataPoints: z.array(numberDataPointSchema).optional(),
});
const aggregatePoints = z.object({
  dataPoints: z.array(aggregatePointSchema).optional(),
});

const metricSchema = z.object({
  name: nameString.min(1, 'expected a metric name'),
  gauge: numberPoints.optional(),
  sum: numberPoints.optional(),
  histogram: aggregatePoints.optional(),
  exponentialHistogram: aggregatePoints.optional(),
  summary: aggregatePoints.optional(),
});

const metricsRequestSchema = z.object({
  resourceMetrics: z
    .array(
      z.object({
        resource: z.unknown(),
        scopeMetrics: z
          .array(z.object({ metrics: z.array(z.unknown()).optional() }))
          .optional(),
      }),
    )
    .optional(),
});

type NumberDataPoint = z.infer<typeof numberDataPointSchema>;
type AggregatePoint = z.infer<typeof aggregatePointSchema>;

function numberValue(point: NumberDataPoint): number | undefined {
  if (((point.flags ?? 0) & FLAG_NO_RECORDED_VALUE) !== 0) return undefined;
  return point.asDouble ?? Number(point.asInt);
}

function meanValue(point: AggregatePoint): number | undefined {
  if (((point.flags ?? 0) & FLAG_NO_RECORDED_VALUE) !== 0) return undefined;
  if (point.sum === undefined || !point.count) return undefined;
  return point.sum / Number(point.count);
}

/**
 * Parses an OTLP/JSON `ExportMetricsServiceRequest` into metric points. Gauge and sum points
 * carry their value; histogram, exponential histogram and summary points carry their mean
 * (sum / count) under the metric's own name. Points without a value (no recorded value, no
 * sum, zero count, NaN or infinite) are skipped. An invalid metric is left out and its data
 * points are counted in `rejected`.
 *
 * @throws InputError when the request's structure is wrong
 */
export function readOtlpMetrics(
  body: unknown,
  options?: OtlpReadOptions,
): OtlpParseResult<MetricPoint> {
  return runSync(metricSteps(body, options));
}

/** The steps of {@link readOtlpMetrics}: one per metric. */
export function* metricSteps(
  body: unknown,
  options?: OtlpReadOptions,
): OtlpSteps<MetricPoint> {
  const request = parse(
    metricsRequestSchema,
    body,
    'ExportMetricsServiceRequest',
  );
  const result = new ParseResultBuilder<MetricPoint>(options);
  for (const [r, resourceMetrics] of (
    request.resourceMetrics ?? []
  ).entries()) {
    const metrics = (resourceMetrics.scopeMetrics ?? []).flatMap((scope, s) =>
      (scope.metrics ?? []).map((metric, i) => ({
        raw: metric,
        path: ['resourceMetrics', r, 'scopeMetrics', s, 'metrics', i],
      })),
    );
    const serviceName = result.serviceNameOf(
      resourceMetrics.resource,
      ['resourceMetrics', r, 'resource'],
      metrics.reduce((sum, { raw }) => sum + dataPointCount(raw), 0),
    );
    if (serviceName === undefined) continue;
    for (const { raw, path } of metrics) {
      yield;
      const metric = result.check(metricSchema, raw, path, dataPointCount(raw));
      if (!metric) continue;
      const valued: Array<{
        point: AggregatePoint | NumberDataPoint;
        value?: number;
      }> = [
        ...[metric.gauge, metric.sum].flatMap(data =>
          (data?.dataPoints ?? []).map(point => ({
            point,
            value: numberValue(point),
          })),
        ),
        ...[
          metric.histogram,
          metric.exponentialHistogram,
          metric.summary,
        ].flatMap(data =>
          (data?.dataPoints ?? []).map(point => ({
            point,
            value: meanValue(point),
          })),
        ),
      ];
      for (const { point, value } of valued) {
        if (value === undefined || !Number.isFinite(value)) continue;
        if (!result.inWindow(point.timeUnixNano, [...path, 'timeUnixNano'])) {
          continue;
        }
        result.records.push({
          serviceName,
          name: metric.name,
          timestampMs: nanosToMs(point.timeUnixNano),
          value,
          attributes: flattenAttributes(point.attributes),
        });
      }
    }
  }
  return result.build();
}

/**
 * Like {@link readOtlpMetrics}, but all or nothing: any invalid record rejects the request.
 *
 * @throws InputError naming the path of the first bad fields
 */
export function parseOtlpMetrics(body: unknown): MetricPoint[] {
  return allOrNothing(readOtlpMetrics(body), 'ExportMetricsServiceRequest');
}

/** Data points of a metric as sent, for counting what a rejected metric held (at least 1). */
function dataPointCount(metric: unknown): number {
  let count = 0;
  if (typeof metric === 'object' && metric !== null) {
    for (const data of Object.values(metric)) {
      const points = (data as { dataPoints?: unknown } | null)?.dataPoints;
      if (Array.isArray(points)) count += points.length;
    }
  }
  return Math.max(count, 1);
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** A reader's work, one step per record: drained at once, or in slices between other work. */
export type OtlpSteps<T> = Generator<void, OtlpParseResult<T>, void>;

function runSync<T>(steps: OtlpSteps<T>): OtlpParseResult<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * Drains a reader in slices of at most `sliceMs`, yielding to the event loop between them, so a
 * large export never holds health checks and other requests for longer than a slice.
 */
export async function runSliced<T>(
  steps: OtlpSteps<T>,
  sliceMs = 10,
): Promise<OtlpParseResult<T>> {
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart > sliceMs) {
      await new Promise(resolve => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

function nanosToMs(nanos: bigint): number {
  return Number(nanos / 1_000_000n);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 40)}...` : json;
}

function allOrNothing<T>(result: OtlpParseResult<T>, what: string): T[] {
  if (result.rejected > 0) {
    throw new InputError(`Invalid OTLP/JSON ${what}: ${result.errorMessage}`);
  }
  return result.records;
}

function parse<T>(
  schema: z.ZodType<T, z.ZodTypeDef, unknown>,
  body: unknown,
  what: string,
): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError(
      `Expected an OTLP/JSON ${what} object, got ${describe(body)}`,
    );
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new InputError(
      `Invalid OTLP/JSON ${what}: ${fromZodError(result.error)}`,
    );
  }
  return result.data;
}
