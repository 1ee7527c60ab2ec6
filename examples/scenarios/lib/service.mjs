// A small, seeded simulator of one service's traffic as OpenTelemetry would export it, for the
// incident scenarios: server (or consumer) spans with their client spans, log records, and
// per-minute metrics, before and after the moment the scenario's fault begins.
//
// A scenario describes what one request does (`request`), which metrics the service reports
// (`metrics`) and what else is logged at given times (`events`, e.g. Kubernetes events); the
// simulator turns that into OTLP/JSON bodies for POST /v1/traces, /v1/metrics and /v1/logs.

import {
  Severity,
  SpanKind,
  StatusCode,
  Temporality,
  attributes,
  createRandom,
  histogramPoint,
  mixSeed,
  round,
  toUnixNano,
} from './otlp.mjs';

export const MINUTE = 60_000;

const SCOPE = { name: 'ai-triage-demo', version: '1.0.0' };

/** OpenTelemetry's recommended bucket bounds for HTTP durations, in seconds. */
const DURATION_BOUNDS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

const LEVELS = {
  INFO: Severity.INFO,
  WARN: Severity.WARN,
  ERROR: Severity.ERROR,
  FATAL: { number: 21, text: 'FATAL' },
};

/**
 * @typedef {{ peer: string, name: string, durationMs: number, error?: string,
 *   attributes?: Record<string, unknown> }} Call
 *   a client span; `peer` becomes `peer.service`
 * @typedef {{ level: 'INFO'|'WARN'|'ERROR'|'FATAL', body: string, afterCall?: number }} Log
 *   a log record of the request (after its n-th call, else at its end)
 * @typedef {{ operation?: string, calls?: Call[], selfMs: number, error?: string,
 *   httpStatus?: number, logs?: Log[] }} RequestPlan
 *   what one request does: its calls in order, time spent in the service itself (before the
 *   first call, e.g. waiting for a pool connection), and how it ends
 * @typedef {{ random: ReturnType<typeof createRandom>, degraded: boolean,
 *   minutesDegraded: number, startMs: number, index: number }} RequestContext
 */

/**
 * Simulates `service` from `trafficStartsMinutesAgo` to `nowMs`; the fault begins
 * `degradationStartsMinutesAgo` before `nowMs`.
 *
 * @param {{
 *   nowMs: number, seed: number, service: string,
 *   timeline: { trafficStartsMinutesAgo: number, degradationStartsMinutesAgo: number },
 *   operation: string, route?: string, kind?: 'server'|'consumer',
 *   requestIntervalMs: number,
 *   request: (ctx: RequestContext) => RequestPlan,
 *   metrics?: Array<{ name: string, unit?: string, attributes?: Record<string, string>,
 *     sum?: boolean, value: (ctx: { random: any, degraded: boolean, minutesDegraded: number,
 *     minute: number }) => number }>,
 *   events?: (ctx: { degradedFromMs: number, nowMs: number, random: any }) =>
 *     Array<{ timeMs: number, level: 'INFO'|'WARN'|'ERROR'|'FATAL', body: string,
 *       attributes?: Record<string, unknown> }>,
 *   resource?: Record<string, string>,
 *   deploy?: { from: string, to: string, atMs: (degradedFromMs: number) => number },
 * }} options
 *
 * With `deploy`, spans and logs carry the resource attribute `service.version` (`from` before
 * `atMs`, `to` from then on), as the OpenTelemetry SDK of a redeployed service reports it.
 */
export function simulateService(options) {
  const { nowMs, seed, service, timeline } = options;
  if (!Number.isFinite(nowMs)) throw new TypeError('nowMs must be a number');
  const random = createRandom(seed);
  const ids = createRandom(
    mixSeed(mixSeed(seed, nowMs % 2 ** 32), Math.floor(nowMs / 2 ** 32)),
  );
  const trafficFrom = nowMs - timeline.trafficStartsMinutesAgo * MINUTE;
  const degradedFrom = nowMs - timeline.degradationStartsMinutesAgo * MINUTE;
  const entryKind =
    options.kind === 'consumer' ? SpanKind.CONSUMER : SpanKind.SERVER;
  const resource = {
    attributes: attributes({
      'service.name': service,
      'service.namespace': 'shop',
      'deployment.environment': 'demo',
      'k8s.namespace.name': 'shop',
      'k8s.cluster.name': 'demo-cluster',
      ...(options.resource ?? {}),
    }),
  };

  const spans = [];
  const logs = [];
  const requests = [];
  const log = (timeMs, level, body, ref, attrs = {}) => {
    logs.push({
      timeUnixNano: toUnixNano(timeMs),
      observedTimeUnixNano: toUnixNano(timeMs + 1),
      severityNumber: LEVELS[level].number,
      severityText: LEVELS[level].text,
      body: { stringValue: body },
      attributes: attributes(attrs),
      ...(ref ? { traceId: ref.traceId, spanId: ref.spanId } : {}),
    });
  };

  let index = 0;
  for (
    let startMs = trafficFrom + random.between(0, 1_000);
    startMs < nowMs - 5_000;
    startMs += options.requestIntervalMs * random.between(0.8, 1.2)
  ) {
    const degraded = startMs >= degradedFrom;
    const plan = options.request({
      random,
      degraded,
      minutesDegraded: degraded ? (startMs - degradedFrom) / MINUTE : 0,
      startMs,
      index: index++,
    });
    const operation = plan.operation ?? options.operation;
    const traceId = ids.hex(16);
    const serverSpanId = ids.hex(8);
    let at = startMs + plan.selfMs;
    (plan.calls ?? []).forEach((call, n) => {
      const spanId = ids.hex(8);
      spans.push({
        traceId,
        spanId,
        parentSpanId: serverSpanId,
        name: call.name,
        kind: SpanKind.CLIENT,
        startTimeUnixNano: toUnixNano(at),
        endTimeUnixNano: toUnixNano(at + call.durationMs),
        attributes: attributes({
          'peer.service': call.peer,
          ...(call.attributes ?? {}),
        }),
        status: call.error
          ? { code: StatusCode.ERROR, message: call.error }
          : { code: StatusCode.UNSET },
      });
      at += call.durationMs + random.between(0.2, 1);
      for (const entry of (plan.logs ?? []).filter(l => l.afterCall === n)) {
        log(at, entry.level, entry.body, { traceId, spanId });
      }
    });
    const endMs = at + random.between(1, 3);
    for (const entry of (plan.logs ?? []).filter(
      l => l.afterCall === undefined,
    )) {
      log(endMs, entry.level, entry.body, { traceId, spanId: serverSpanId });
    }
    const httpStatus = plan.httpStatus ?? (plan.error ? 500 : 200);
    spans.push({
      traceId,
      spanId: serverSpanId,
      name: operation,
      kind: entryKind,
      startTimeUnixNano: toUnixNano(startMs),
      endTimeUnixNano: toUnixNano(endMs),
      attributes: attributes(
        entryKind === SpanKind.SERVER
          ? {
              'http.request.method': operation.split(' ')[0],
              'http.route': options.route ?? operation.split(' ')[1],
              'http.response.status_code': httpStatus,
              ...(plan.error ? { 'error.type': String(httpStatus) } : {}),
            }
          : { 'messaging.operation.type': 'process' },
      ),
      status: plan.error
        ? { code: StatusCode.ERROR, message: plan.error }
        : { code: StatusCode.UNSET },
    });
    requests.push({
      startMs,
      durationMs: endMs - startMs,
      degraded,
      error: !!plan.error,
    });
  }

  for (const event of options.events?.({
    degradedFromMs: degradedFrom,
    nowMs,
    random,
  }) ?? []) {
    log(event.timeMs, event.level, event.body, null, event.attributes ?? {});
  }

  // Per-minute metrics: the request duration histogram, and the scenario's own series.
  const serverDuration = [];
  const series = (options.metrics ?? []).map(() => []);
  for (
    let from = trafficFrom, minute = 0;
    from + MINUTE <= nowMs;
    from += MINUTE, minute++
  ) {
    const to = from + MINUTE;
    const inMinute = requests.filter(r => r.startMs >= from && r.startMs < to);
    if (entryKind === SpanKind.SERVER) {
      serverDuration.push(
        histogramPoint({
          values: inMinute.map(r => r.durationMs / 1000),
          bounds: DURATION_BOUNDS,
          startMs: from,
          endMs: to,
          attributes: {
            'http.route': options.route ?? options.operation.split(' ')[1],
          },
        }),
      );
    }
    const degraded = from >= degradedFrom;
    (options.metrics ?? []).forEach((metric, m) => {
      const value = metric.value({
        random,
        degraded,
        minutesDegraded: degraded ? (from - degradedFrom) / MINUTE : 0,
        minute,
      });
      series[m].push({
        startTimeUnixNano: toUnixNano(metric.sum ? trafficFrom : from),
        timeUnixNano: toUnixNano(to),
        asDouble: round(value, 6),
        attributes: attributes(metric.attributes ?? {}),
      });
    });
  }
  const metrics = [
    ...(serverDuration.length
      ? [
          {
            name: 'http.server.request.duration',
            unit: 's',
            histogram: {
              aggregationTemporality: Temporality.DELTA,
              dataPoints: serverDuration,
            },
          },
        ]
      : []),
    ...(options.metrics ?? []).map((metric, m) =>
      metric.sum
        ? {
            name: metric.name,
            unit: metric.unit ?? '1',
            sum: {
              aggregationTemporality: Temporality.CUMULATIVE,
              isMonotonic: true,
              dataPoints: series[m],
            },
          }
        : {
            name: metric.name,
            unit: metric.unit ?? '1',
            gauge: { dataPoints: series[m] },
          },
    ),
  ];

  // One resource per service.version when the scenario deploys; metrics keep the plain one.
  const deployAtMs = options.deploy?.atMs(degradedFrom);
  const versioned = (records, timeOf) => {
    if (!options.deploy) return [{ resource, records }];
    return [
      [options.deploy.from, records.filter(r => timeOf(r) < deployAtMs)],
      [options.deploy.to, records.filter(r => timeOf(r) >= deployAtMs)],
    ]
      .filter(([, list]) => list.length > 0)
      .map(([version, list]) => ({
        resource: {
          attributes: [
            ...resource.attributes,
            ...attributes({ 'service.version': version }),
          ],
        },
        records: list,
      }));
  };
  const nanosToMs = nanos => Number(BigInt(nanos) / 1_000_000n);
  const sortedLogs = logs.sort((a, b) =>
    BigInt(a.timeUnixNano) < BigInt(b.timeUnixNano) ? -1 : 1,
  );
  return {
    traces: {
      resourceSpans: versioned(spans, span =>
        nanosToMs(span.startTimeUnixNano),
      ).map(({ resource: r, records }) => ({
        resource: r,
        scopeSpans: [{ scope: SCOPE, spans: records }],
      })),
    },
    metrics: {
      resourceMetrics: [
        { resource, scopeMetrics: [{ scope: SCOPE, metrics }] },
      ],
    },
    logs: {
      resourceLogs: versioned(sortedLogs, log =>
        nanosToMs(log.timeUnixNano),
      ).map(({ resource: r, records }) => ({
        resource: r,
        scopeLogs: [{ scope: SCOPE, logRecords: records }],
      })),
    },
    requests,
  };
}

/** A value that drifts with noise: `base * (1 ± noise)`. */
export function noisy(random, base, noise = 0.05) {
  return base * random.between(1 - noise, 1 + noise);
}
