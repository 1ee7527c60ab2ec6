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

export { DEFAULT_OTLP_LIMITS } from './limits';
export type { OtlpLimits, OtlpReadOptions } from './limits';
export { runSliced } from './parseResult';
export type { OtlpParseResult, OtlpSteps } from './parseResult';
export { RECORD_RESOURCE_ATTRIBUTES, UNKNOWN_SERVICE } from './resource';
export {
  parseOtlpTraces,
  peerServiceOf,
  readOtlpTraces,
  traceSteps,
} from './traces';
export { logSteps, parseOtlpLogs, readOtlpLogs } from './logs';
export { metricSteps, parseOtlpMetrics, readOtlpMetrics } from './metrics';
export {
  decodeOtlpProtobuf,
  encodeOtlpProtobufResponse,
  encodeRpcStatus,
  otlpResponseBody,
} from './protobuf';
export type { OtlpSignal } from './protobuf';
