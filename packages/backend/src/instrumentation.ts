/**
 * OpenTelemetry for the backend, loaded before it with `--require` (see the `start` script and
 * Backstage's "Setup OpenTelemetry" tutorial). Metrics that Backstage and the plugins record
 * through `@opentelemetry/api`, such as the AI triage queue depth and oldest-job age, are
 * served for Prometheus at http://OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT/metrics
 * (default 0.0.0.0:9464). Traces and logs go nowhere unless OTEL_TRACES_EXPORTER /
 * OTEL_LOGS_EXPORTER name an exporter.
 */
import { isMainThread } from 'node:worker_threads';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { NodeSDK } from '@opentelemetry/sdk-node';

// Worker threads load this file too; one SDK per process is enough.
if (isMainThread) {
  process.env.OTEL_TRACES_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const prometheus = new PrometheusExporter(
    {
      host: process.env.OTEL_EXPORTER_PROMETHEUS_HOST,
      port: Number(process.env.OTEL_EXPORTER_PROMETHEUS_PORT ?? 9464),
    },
    error => {
      if (error) {
        // The backend keeps running without its metrics endpoint (e.g. the port is taken).
        process.stderr.write(
          `Prometheus metrics endpoint not started: ${String(error)}\n`,
        );
      }
    },
  );
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'backstage-backend',
    metricReaders: [prometheus],
  });
  sdk.start();
  process.once('beforeExit', () => {
    sdk.shutdown().catch(() => undefined);
  });
}
