/**
 * An instrumented application in its own process, for the OTLP receiver test: it records a server
 * span with a failing client call, two logs (one tied to the server span) and a counter and a
 * histogram with the OpenTelemetry SDK, exports them with the SDK's own OTLP/HTTP exporters to
 * OTLP_BASE_URL (`.../v1`) with `Authorization: Bearer $OTLP_TOKEN`, in OTLP_ENCODING (`json` or
 * `protobuf`), and prints one JSON line: the ids it generated and each export's result. The SDK's
 * own environment variables apply too (OTEL_EXPORTER_OTLP_COMPRESSION=gzip, say).
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs src/__testUtils__/otelSdkExporterProcess.ts
 *
 * A process of its own because the exporters load `node:http` with a dynamic import(), which
 * Jest's module sandbox does not run.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as OTLPLogExporterJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogExporterProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

type Exporter = {
  export(
    items: any,
    done: (result: { code: number; error?: Error }) => void,
  ): void;
};

const results: Record<string, string[]> = { traces: [], logs: [], metrics: [] };

/** Records every export's outcome: `ok`, or the exporter's error. */
function recorded<T extends Exporter>(signal: string, exporter: T): T {
  const send = exporter.export.bind(exporter);
  exporter.export = (items, done) =>
    send(items, result => {
      results[signal].push(
        result.code === 0
          ? 'ok'
          : // OTLPExporterError carries the HTTP status as `code`.
            `${(result.error as { code?: number })?.code ?? ''} ${
              result.error?.message ?? ''
            }`.trim(),
      );
      done(result);
    });
  return exporter;
}

async function main() {
  const base = process.env.OTLP_BASE_URL!;
  const protobuf = process.env.OTLP_ENCODING === 'protobuf';
  const headers = { Authorization: `Bearer ${process.env.OTLP_TOKEN}` };
  const resource = resourceFromAttributes({
    'service.name': process.env.OTLP_SERVICE_NAME!,
    'deployment.environment.name': 'test',
  });
  const TraceExporter = protobuf
    ? OTLPTraceExporterProto
    : OTLPTraceExporterJson;
  const LogExporter = protobuf ? OTLPLogExporterProto : OTLPLogExporterJson;
  const MetricExporter = protobuf
    ? OTLPMetricExporterProto
    : OTLPMetricExporterJson;

  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new SimpleSpanProcessor(
        recorded(
          'traces',
          new TraceExporter({ url: `${base}/traces`, headers }),
        ),
      ),
    ],
  });
  const tracer = tracerProvider.getTracer('checkout-test');
  const server = tracer.startSpan('POST /checkout', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'POST',
      'http.response.status_code': 502,
      'retry.count': 2,
    },
  });
  const serverContext = trace.setSpan(context.active(), server);
  const client = tracer.startSpan(
    'POST /charge',
    {
      kind: SpanKind.CLIENT,
      attributes: { 'peer.service': 'payments', 'server.port': 8443 },
    },
    serverContext,
  );
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
  client.end();
  server.setStatus({ code: SpanStatusCode.ERROR });
  server.end();

  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new SimpleLogRecordProcessor({
        exporter: recorded(
          'logs',
          new LogExporter({ url: `${base}/logs`, headers }),
        ),
      }),
    ],
  });
  const logger = loggerProvider.getLogger('checkout-test');
  logger.emit({
    severityNumber: SeverityNumber.ERROR,
    severityText: 'ERROR',
    body: 'payment call failed after 2 retries',
    attributes: { 'order.id': 'o-42', 'retry.count': 2 },
    context: serverContext,
  });
  logger.emit({ severityNumber: SeverityNumber.INFO, body: 'cart loaded' });

  const reader = new PeriodicExportingMetricReader({
    exporter: recorded(
      'metrics',
      new MetricExporter({ url: `${base}/metrics`, headers }),
    ),
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const meter = meterProvider.getMeter('checkout-test');
  meter
    .createCounter('http.server.request.count')
    .add(7, { 'http.route': '/checkout' });
  const histogram = meter.createHistogram('http.server.request.duration', {
    unit: 's',
  });
  histogram.record(0.2, { 'http.route': '/checkout' });
  histogram.record(0.4, { 'http.route': '/checkout' });

  // Flushing rejects when an export failed; the results say which, so carry on.
  await Promise.allSettled([
    tracerProvider.forceFlush(),
    loggerProvider.forceFlush(),
    meterProvider.forceFlush(),
  ]);
  await Promise.allSettled([
    tracerProvider.shutdown(),
    loggerProvider.shutdown(),
    meterProvider.shutdown(),
  ]);

  process.stdout.write(
    `${JSON.stringify({
      server: server.spanContext(),
      client: client.spanContext(),
      results,
    })}\n`,
  );
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
