import { InputError } from '@backstage/errors';
import {
  DescMessage,
  JsonValue,
  create,
  fromBinary,
  fromJson,
  toBinary,
  toJson,
} from '@bufbuild/protobuf';
// protobuf-es code generated from the vendored opentelemetry-proto and googleapis definitions
// (proto/, Apache-2.0) by `npm run proto:generate`.
import { StatusSchema } from './generated/google/rpc/status_pb';
import {
  ExportLogsServiceRequestSchema,
  ExportLogsServiceResponseSchema,
} from './generated/opentelemetry/proto/collector/logs/v1/logs_service_pb';
import {
  ExportMetricsServiceRequestSchema,
  ExportMetricsServiceResponseSchema,
} from './generated/opentelemetry/proto/collector/metrics/v1/metrics_service_pb';
import {
  ExportTraceServiceRequestSchema,
  ExportTraceServiceResponseSchema,
} from './generated/opentelemetry/proto/collector/trace/v1/trace_service_pb';

/** The OTLP signals, named as their HTTP paths are. */
export type OtlpSignal = 'traces' | 'metrics' | 'logs';

/** The counters an OTLP partial success carries, per signal. */
const REJECTED_FIELD: Record<OtlpSignal, string> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
};

/** Each signal's `Export*ServiceRequest` and `Export*ServiceResponse`. */
const MESSAGES: Record<
  OtlpSignal,
  { request: DescMessage; response: DescMessage }
> = {
  traces: {
    request: ExportTraceServiceRequestSchema,
    response: ExportTraceServiceResponseSchema,
  },
  metrics: {
    request: ExportMetricsServiceRequestSchema,
    response: ExportMetricsServiceResponseSchema,
  },
  logs: {
    request: ExportLogsServiceRequestSchema,
    response: ExportLogsServiceResponseSchema,
  },
};

/** Fields that OTLP/JSON writes as hex where protobuf carries bytes. */
const HEX_ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/**
 * Fields holding KeyValue lists or AnyValues, which never carry ids: not walked, as they are
 * most of a large export.
 */
const NO_ID_FIELDS = new Set(['attributes', 'body']);

/**
 * Decodes an OTLP/protobuf export request into the object its OTLP/JSON form parses to, so one
 * parser (./traces, ./metrics, ./logs) validates both encodings: the proto3 JSON mapping
 * (64-bit integers as decimal strings, other bytes base64, fields holding their default value
 * left out), with enums as numbers and trace and span ids as hex, as OTLP/JSON has them.
 *
 * @throws InputError when the bytes are not a valid message of the signal's request type
 */
export function decodeOtlpProtobuf(
  signal: OtlpSignal,
  bytes: Uint8Array,
): unknown {
  const type = MESSAGES[signal].request;
  let json: JsonValue;
  try {
    json = toJson(type, fromBinary(type, bytes), { enumAsInteger: true });
  } catch (error) {
    throw new InputError(
      `Invalid OTLP/protobuf ${type.name}: ${(error as Error).message}`,
    );
  }
  return hexIds(json);
}

/** The OTLP `Export*ServiceResponse` for a stored export, as protobuf. */
export function encodeOtlpProtobufResponse(
  signal: OtlpSignal,
  partialSuccess: { rejected: number; errorMessage: string },
): Uint8Array {
  const type = MESSAGES[signal].response;
  return toBinary(
    type,
    fromJson(type, otlpResponseBody(signal, partialSuccess)),
  );
}

/**
 * The OTLP `Export*ServiceResponse` as a plain object (its OTLP/JSON form): an empty
 * `partialSuccess` when all was stored, else the count of rejected records and why.
 */
export function otlpResponseBody(
  signal: OtlpSignal,
  partialSuccess: { rejected: number; errorMessage: string },
): { partialSuccess: Record<string, number | string> } {
  if (partialSuccess.rejected === 0 && !partialSuccess.errorMessage) {
    return { partialSuccess: {} };
  }
  return {
    partialSuccess: {
      [REJECTED_FIELD[signal]]: partialSuccess.rejected,
      errorMessage: partialSuccess.errorMessage,
    },
  };
}

/** A `google.rpc.Status` as protobuf, for an OTLP/HTTP error response. */
export function encodeRpcStatus(status: {
  code: number;
  message: string;
}): Uint8Array {
  return toBinary(StatusSchema, create(StatusSchema, status));
}

/** Rewrites base64 id fields to hex, in place, at any depth (spans, links, log records, exemplars). */
function hexIds(value: unknown): unknown {
  if (Array.isArray(value)) {
    value.forEach(hexIds);
  } else if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    for (const [key, field] of Object.entries(object)) {
      if (HEX_ID_FIELDS.has(key) && typeof field === 'string') {
        object[key] = Buffer.from(field, 'base64').toString('hex');
      } else if (typeof field === 'object' && !NO_ID_FIELDS.has(key)) {
        hexIds(field);
      }
    }
  }
  return value;
}
