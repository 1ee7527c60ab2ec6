import { MetricPoint } from '@ai-triage/plugin-ai-triage-node';
import { z } from 'zod';
import { attributesSchema, flattenAttributes } from './anyValue';
import { OtlpReadOptions } from './limits';
import {
  OtlpParseResult,
  OtlpSteps,
  ParseResultBuilder,
  allOrNothing,
  parse,
  runSync,
} from './parseResult';
import { double, int64, nameString, nanosToMs, uint64 } from './scalars';

/** DataPointFlags.FLAG_NO_RECORDED_VALUE: the point is a placeholder without a value. */
const FLAG_NO_RECORDED_VALUE = 1;

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
        code: 'custom',
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
        resource: z.unknown().optional(),
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
