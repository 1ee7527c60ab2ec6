import {
  MetricPoint,
  TelemetryProvider,
  TelemetryQuery,
  TelemetryResult,
  TelemetrySignal,
} from '@ai-triage/plugin-ai-triage-node';
import { z } from 'zod';
import { PROMETHEUS_SELECTOR_ANNOTATION } from '../annotations';
import { HttpEndpoint, getJson } from './getJson';

/**
 * The PromQL queries the provider runs by default, by the metric name they are reported under.
 * Metric and label names follow the OpenTelemetry semantic conventions as Prometheus stores them
 * (OTLP ingestion or the collector's Prometheus exporter with resource attributes as labels):
 * `http.server.request.duration` is `http_server_request_duration_seconds`, the resource's
 * `service.name` is the label `service_name`. `$selector` stands for the entity's label
 * matchers, `$window` for the rate window.
 */
const DEFAULT_PROMETHEUS_QUERIES: Record<string, string> = {
  'http.server.request.rate':
    'sum(rate(http_server_request_duration_seconds_count{$selector}[$window]))',
  'http.server.error_ratio':
    'sum(rate(http_server_request_duration_seconds_count{$selector,http_response_status_code=~"5.."}[$window]))' +
    ' / sum(rate(http_server_request_duration_seconds_count{$selector}[$window]))',
  'http.server.request.duration.p50':
    'histogram_quantile(0.5, sum by (le) (rate(http_server_request_duration_seconds_bucket{$selector}[$window])))',
  'http.server.request.duration.p95':
    'histogram_quantile(0.95, sum by (le) (rate(http_server_request_duration_seconds_bucket{$selector}[$window])))',
  'http.server.request.duration.p99':
    'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{$selector}[$window])))',
  'process.cpu.utilization':
    'sum(rate(process_cpu_time_seconds_total{$selector}[$window]))',
  'process.memory.usage': 'sum(process_memory_usage_bytes{$selector})',
  'k8s.container.restarts':
    'sum(delta(k8s_container_restarts{$selector}[$window]))',
};

/** Points per series at most: the step grows with the window to stay under it. */
const MAX_POINTS_PER_SERIES = 120;
const MIN_STEP_SECONDS = 15;

const queryRangeResponse = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('matrix'),
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()),
        values: z.array(z.tuple([z.number(), z.string()])),
      }),
    ),
  }),
});

type PrometheusProviderOptions = {
  name: string;
  endpoint: HttpEndpoint;
  /** Replaces or adds queries by metric name; an empty string drops a default one. */
  queries?: Record<string, string>;
  /** The label that carries the service name in the default selector. Default `service_name`. */
  serviceLabel?: string;
  /** The range of `rate()`, at least the step. Default 60 seconds. */
  rateWindowSeconds?: number;
  timeoutMs?: number;
  servesAllEntities?: boolean;
};

/**
 * Metrics from Prometheus (or any server with its HTTP API): each configured PromQL query runs
 * over `/api/v1/query_range` for the window, and every sample of every returned series becomes a
 * metric point named after the query, its labels the point's attributes. Error ratio, latency
 * quantiles, CPU, memory and restarts by default. A query that fails is named in `missing`; the
 * provider fails only when every query does.
 */
export class PrometheusTelemetryProvider implements TelemetryProvider {
  readonly signals: TelemetrySignal[] = ['metrics'];
  readonly name: string;
  readonly timeoutMs?: number;
  readonly servesAllEntities?: boolean;
  private readonly queries: Array<[string, string]>;

  static create(
    options: PrometheusProviderOptions,
  ): PrometheusTelemetryProvider {
    return new PrometheusTelemetryProvider(options);
  }

  private constructor(private readonly options: PrometheusProviderOptions) {
    this.name = options.name;
    this.timeoutMs = options.timeoutMs;
    this.servesAllEntities = options.servesAllEntities;
    this.queries = Object.entries({
      ...DEFAULT_PROMETHEUS_QUERIES,
      ...options.queries,
    }).filter(([, promql]) => promql.trim() !== '');
  }

  async fetch(
    query: TelemetryQuery,
    options: { signal: AbortSignal },
  ): Promise<TelemetryResult> {
    const selector = this.selectorOf(query);
    const rangeSeconds = Math.max(1, (query.toMs - query.fromMs) / 1000);
    const step = Math.max(
      MIN_STEP_SECONDS,
      Math.ceil(rangeSeconds / MAX_POINTS_PER_SERIES),
    );
    const window = `${Math.max(this.options.rateWindowSeconds ?? 60, step)}s`;
    // query_range includes its end; the window is [fromMs, toMs), as every provider reads it.
    const params = {
      start: (query.fromMs / 1000).toFixed(3),
      end: ((query.toMs - 1) / 1000).toFixed(3),
      step: `${step}s`,
    };

    const settled = await Promise.allSettled(
      this.queries.map(async ([metricName, template]) => {
        const promql = template
          .replaceAll('$selector', selector)
          .replaceAll('$window', window);
        const body = await getJson(
          this.options.endpoint,
          '/api/v1/query_range',
          { ...params, query: promql },
          options.signal,
        );
        const parsed = queryRangeResponse.safeParse(body);
        if (!parsed.success) {
          throw new Error('the answer is not a query_range matrix');
        }
        return parsed.data.data.result.flatMap(series =>
          series.values
            .map(([seconds, value]): MetricPoint => {
              const { __name__: _name, ...labels } = series.metric;
              return {
                serviceName: query.serviceName,
                name: metricName,
                timestampMs: Math.round(seconds * 1000),
                value: Number(value),
                attributes: labels,
              };
            })
            .filter(point => Number.isFinite(point.value)),
        );
      }),
    );

    options.signal.throwIfAborted();
    const missing: string[] = [];
    const points: MetricPoint[] = [];
    settled.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') {
        points.push(...outcome.value);
      } else {
        missing.push(
          `${this.name}: query ${this.queries[index][0]} failed: ${errorText(
            outcome.reason,
          )}`,
        );
      }
    });
    if (missing.length === this.queries.length && missing.length > 0) {
      throw new Error(
        `every query failed, first: ${errorText(
          (settled[0] as PromiseRejectedResult).reason,
        )}`,
      );
    }
    points.sort((a, b) => a.timestampMs - b.timestampMs);
    const limit = Math.max(0, Math.floor(query.limit));
    const truncated = points.length > limit;
    return {
      metrics: truncated ? points.slice(points.length - limit) : points,
      truncated: truncated ? ['metrics'] : [],
      missing,
    };
  }

  /** The entity's label matchers: its annotation, else `<serviceLabel>="<service.name>"`. */
  private selectorOf(query: TelemetryQuery): string {
    const annotated =
      query.entity?.annotations[PROMETHEUS_SELECTOR_ANNOTATION]?.trim();
    if (annotated) {
      return annotated.replace(/^\{|\}$/g, '');
    }
    const label = this.options.serviceLabel ?? 'service_name';
    return `${label}=${JSON.stringify(query.serviceName)}`;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
