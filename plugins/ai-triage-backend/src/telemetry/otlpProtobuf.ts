import { InputError } from '@backstage/errors';
import protobuf from 'protobufjs';
// The OpenTelemetry JS project's protobufjs code generated from the official opentelemetry-proto
// definitions (Apache-2.0), as its @opentelemetry/otlp-transformer 0.212 shipped it; installed
// under an npm alias because later releases of that package no longer carry it.
import otlpRoot from 'otlp-transformer-generated-protos/build/src/generated/root';

/** The OTLP signals, named as their HTTP paths are. */
export type OtlpSignal = 'traces' | 'metrics' | 'logs';

/** The counters an OTLP partial success carries, per signal. */
const REJECTED_FIELD: Record<OtlpSignal, string> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
};

/** A generated message type: only what the receiver uses of protobufjs' static code. */
type MessageType = {
  decode(bytes: Uint8Array): object;
  toObject(message: object, options: protobuf.IConversionOptions): object;
  encode(message: object): { finish(): Uint8Array };
};

type Namespace = Record<string, any>;

const collector = (otlpRoot as unknown as Namespace).opentelemetry.proto
  .collector;

const MESSAGES: Record<
  OtlpSignal,
  { request: MessageType; response: MessageType }
> = {
  traces: {
    request: collector.trace.v1.ExportTraceServiceRequest,
    response: collector.trace.v1.ExportTraceServiceResponse,
  },
  metrics: {
    request: collector.metrics.v1.ExportMetricsServiceRequest,
    response: collector.metrics.v1.ExportMetricsServiceResponse,
  },
  logs: {
    request: collector.logs.v1.ExportLogsServiceRequest,
    response: collector.logs.v1.ExportLogsServiceResponse,
  },
};

/**
 * `google.rpc.Status`, the body of an OTLP/HTTP error response. Not in the generated OTLP code,
 * so declared here with the fields googleapis gives it; the receiver sends no `details`
 * (field 3), so that field is left out.
 */
const STATUS = new protobuf.Type('Status')
  .add(new protobuf.Field('code', 1, 'int32'))
  .add(new protobuf.Field('message', 2, 'string'));
new protobuf.Root().define('google.rpc').add(STATUS);

/** Fields that OTLP/JSON writes as hex where protobuf carries bytes. */
const HEX_ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/**
 * Decodes an OTLP/protobuf export request into the object its OTLP/JSON form parses to, so one
 * parser (./otlp) validates both encodings: 64-bit integers become decimal strings, enums
 * numbers, trace and span ids hex and other bytes base64, as the OTLP/JSON mapping has them.
 *
 * @throws InputError when the bytes are not a valid message of the signal's request type
 */
export function decodeOtlpProtobuf(
  signal: OtlpSignal,
  bytes: Uint8Array,
): unknown {
  const type = MESSAGES[signal].request;
  let message: object;
  try {
    message = type.decode(bytes);
  } catch (error) {
    throw new InputError(
      `Invalid OTLP/protobuf ${requestName(signal)}: ${
        (error as Error).message
      }`,
    );
  }
  const plain = type.toObject(message, {
    longs: String,
    enums: Number,
    bytes: String,
  });
  return hexIds(plain);
}

/** The OTLP `Export*ServiceResponse` for a stored export, as protobuf. */
export function encodeOtlpProtobufResponse(
  signal: OtlpSignal,
  partialSuccess: { rejected: number; errorMessage: string },
): Uint8Array {
  return MESSAGES[signal].response
    .encode(otlpResponseBody(signal, partialSuccess))
    .finish();
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
  return STATUS.encode(STATUS.fromObject(status)).finish();
}

function requestName(signal: OtlpSignal): string {
  return {
    traces: 'ExportTraceServiceRequest',
    metrics: 'ExportMetricsServiceRequest',
    logs: 'ExportLogsServiceRequest',
  }[signal];
}

/** Rewrites base64 id fields to hex, in place, at any depth (spans, links, log records). */
function hexIds(value: unknown): unknown {
  if (Array.isArray(value)) {
    value.forEach(hexIds);
  } else if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    for (const [key, field] of Object.entries(object)) {
      if (HEX_ID_FIELDS.has(key) && typeof field === 'string') {
        object[key] = Buffer.from(field, 'base64').toString('hex');
      } else if (typeof field === 'object') {
        hexIds(field);
      }
    }
  }
  return value;
}
