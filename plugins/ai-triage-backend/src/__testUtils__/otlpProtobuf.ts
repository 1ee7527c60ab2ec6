import { DescMessage, JsonValue, fromJson, toBinary } from '@bufbuild/protobuf';
import { OtlpSignal } from '../telemetry/otlp';
import { ExportLogsServiceRequestSchema } from '../telemetry/otlp/generated/opentelemetry/proto/collector/logs/v1/logs_service_pb';
import { ExportMetricsServiceRequestSchema } from '../telemetry/otlp/generated/opentelemetry/proto/collector/metrics/v1/metrics_service_pb';
import { ExportTraceServiceRequestSchema } from '../telemetry/otlp/generated/opentelemetry/proto/collector/trace/v1/trace_service_pb';

const REQUESTS: Record<OtlpSignal, DescMessage> = {
  traces: ExportTraceServiceRequestSchema,
  metrics: ExportMetricsServiceRequestSchema,
  logs: ExportLogsServiceRequestSchema,
};

/**
 * Rewrites OTLP/JSON's hex trace and span ids to base64, the proto3 JSON mapping of bytes, in
 * place at any depth: what a protobuf JSON reader (protobuf-es, protobuf-go) takes.
 */
export function base64Ids<T>(value: T): T {
  if (Array.isArray(value)) {
    value.forEach(base64Ids);
  } else if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    for (const [key, field] of Object.entries(object)) {
      if (
        ['traceId', 'spanId', 'parentSpanId'].includes(key) &&
        typeof field === 'string'
      ) {
        object[key] = Buffer.from(field, 'hex').toString('base64');
      } else {
        base64Ids(field);
      }
    }
  }
  return value;
}

/**
 * An OTLP/JSON export request (hex ids, as exporters send JSON) as the protobuf bytes an
 * exporter sends for it, through the generated messages. Fields the request type does not
 * have are ignored.
 */
export function otlpProtobufOf(signal: OtlpSignal, otlpJson: unknown): Buffer {
  const type = REQUESTS[signal];
  const json = base64Ids(structuredClone(otlpJson)) as JsonValue;
  return Buffer.from(
    toBinary(type, fromJson(type, json, { ignoreUnknownFields: true })),
  );
}
