// OpenTelemetry for one lab service, loaded before the service with `node --import`, as a real
// Node service sets it up: the Node SDK with the standard instrumentations (http, undici, pg,
// runtime metrics), OTLP/HTTP JSON exporters for traces, metrics and logs, and a Prometheus
// endpoint that Prometheus scrapes. Everything else comes from the standard environment:
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES (service.version), OTEL_EXPORTER_OTLP_ENDPOINT and
// OTEL_EXPORTER_OTLP_HEADERS (any OTLP receiver: the plugin's, a Collector's), OTEL_TRACES_SAMPLER.
import { register } from 'node:module';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import {
  AggregationType,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';

// The services are ES modules: instrumenting their imports (node:http) needs the ESM loader hook.
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const prometheusPort = Number(process.env.LAB_PROMETHEUS_PORT);

const sdk = new NodeSDK({
  traceExporter: new OTLPTraceExporter(),
  metricReaders: [
    new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter(),
      exportIntervalMillis: Number(
        process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 10_000,
      ),
    }),
    ...(prometheusPort
      ? [new PrometheusExporter({ host: '127.0.0.1', port: prometheusPort })]
      : []),
  ],
  // A cardinality budget, as teams set one: the per-heap-space size breakdowns and active
  // resource counts are dropped (heap used per space and GC durations stay).
  views: [
    'v8js.memory.heap.space.size',
    'v8js.memory.heap.space.available_size',
    'v8js.memory.heap.space.physical_size',
    'v8js.resource.active',
  ].map(instrumentName => ({
    instrumentName,
    aggregation: { type: AggregationType.DROP },
  })),
  logRecordProcessors: [
    new BatchLogRecordProcessor({ exporter: new OTLPLogExporter() }),
  ],
  instrumentations: [
    new HttpInstrumentation({
      // Prometheus' scrapes are not the service's traffic.
      ignoreIncomingRequestHook: req =>
        req.url?.startsWith('/metrics') ?? false,
    }),
    new UndiciInstrumentation(),
    new PgInstrumentation({ requireParentSpan: true }),
    new RuntimeNodeInstrumentation({ monitoringPrecision: 1000 }),
  ],
});
sdk.start();

// Flush everything on a normal stop, so the last batches reach the receiver.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    sdk
      .shutdown()
      .catch(() => {})
      .finally(() => process.exit(0));
  });
}
