// Synthetic telemetry for the checkout-payments-latency scenario (see scenario.json).
//
// Timeline, relative to `nowMs`:
//   -32 min … -10 min  normal: POST /checkout ~80 ms, payments charge ~40 ms, inventory ~15 ms
//   -10 min … now      payments degraded: charge calls take 1.8–2.5 s; checkout gives up after
//                      2000 ms on each call with a 30 % chance (8 of 25 with the default seed),
//                      answering 504 "deadline exceeded calling payments"; inventory and
//                      orders-db stay fast
// One checkout request every ~24 s. Every number comes from a seeded generator, so the same
// `seed` gives the same durations, errors and log lines on every run; only the trace and span ids
// change with `nowMs`, so running the demo twice does not re-send the same span ids.
//
// Returns OTLP/JSON bodies (ExportTraceServiceRequest, ExportMetricsServiceRequest,
// ExportLogsServiceRequest) for POST /v1/traces, /v1/metrics and /v1/logs.

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
} from '../lib/otlp.mjs';

const MINUTE = 60_000;

/** Where the scenario's phases sit, in minutes before `nowMs`. */
export const TIMELINE = {
  trafficStartsMinutesAgo: 32,
  degradationStartsMinutesAgo: 10,
};

/** The knobs of the scenario; scenario.json describes the same numbers. */
export const PARAMETERS = {
  seed: 20260118,
  requestIntervalMs: 24_000,
  requestJitterMs: 4_000,
  paymentDeadlineMs: 2_000,
  normal: { paymentsMs: [34, 46], inventoryMs: [11, 19], dbMs: [4, 8] },
  degraded: {
    timeoutProbability: 0.3,
    /** Payments latency of calls that still make the deadline, and of calls that miss it. */
    paymentsMs: [1_800, 2_000],
    paymentsTimedOutMs: [2_000, 2_500],
  },
};

const RESOURCE_COMMON = {
  'service.namespace': 'shop',
  'deployment.environment': 'demo',
  'k8s.namespace.name': 'shop',
  'k8s.cluster.name': 'demo-cluster',
};

const SCOPE = { name: 'ai-triage-demo', version: '1.0.0' };

const HOSTS = {
  checkout: 'checkout.shop.svc.cluster.local',
  payments: 'payments.shop.svc.cluster.local',
  inventory: 'inventory.shop.svc.cluster.local',
  ordersDb: 'orders-db.shop.svc.cluster.local',
};

/** OpenTelemetry's recommended bucket bounds for HTTP durations, in seconds. */
const DURATION_BOUNDS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** Fake credentials that land in two log lines, for redaction to find. Not real secrets. */
const FAKE_DB_PASSWORD = 'hunter2-demo-only';
const FAKE_BEARER_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjaGVja291dCIsImF1ZCI6InBheW1lbnRzIiwiZGVtbyI6dHJ1ZX0.ZmFrZS1zaWduYXR1cmUtZm9yLXRoZS1kZW1v';

/**
 * Builds the scenario's telemetry for a run at `nowMs`.
 *
 * @param {{ nowMs: number, seed?: number }} options
 * @returns {{ traces: object, metrics: object, logs: object, requests: object[] }}
 *   three OTLP/JSON bodies, and the per-request facts they were made from (for checks)
 */
export function generateTelemetry({ nowMs, seed = PARAMETERS.seed }) {
  if (!Number.isFinite(nowMs)) throw new TypeError('nowMs must be a number');
  const random = createRandom(seed);
  const ids = createRandom(
    mixSeed(mixSeed(seed, nowMs % 2 ** 32), Math.floor(nowMs / 2 ** 32)),
  );
  const degradedFrom = nowMs - TIMELINE.degradationStartsMinutesAgo * MINUTE;
  const trafficFrom = nowMs - TIMELINE.trafficStartsMinutesAgo * MINUTE;

  const spans = { checkout: [], payments: [], inventory: [] };
  const logs = { checkout: [], payments: [] };
  const requests = [];
  let orderNumber = 104_230;
  let leakedDsn = false;
  let leakedToken = false;

  const log = (service, timeMs, level, body, span, attrs = {}) => {
    logs[service].push({
      timeUnixNano: toUnixNano(timeMs),
      observedTimeUnixNano: toUnixNano(timeMs + 1),
      severityNumber: level.number,
      severityText: level.text,
      body: { stringValue: body },
      attributes: attributes(attrs),
      traceId: span.traceId,
      spanId: span.spanId,
    });
  };

  const span = (service, fields) => {
    const record = {
      traceId: fields.traceId,
      spanId: ids.hex(8),
      ...(fields.parentSpanId ? { parentSpanId: fields.parentSpanId } : {}),
      name: fields.name,
      kind: fields.kind,
      startTimeUnixNano: toUnixNano(fields.startMs),
      endTimeUnixNano: toUnixNano(fields.startMs + fields.durationMs),
      attributes: attributes(fields.attributes),
      ...(fields.events ? { events: fields.events } : {}),
      status: fields.error
        ? { code: StatusCode.ERROR, message: fields.error }
        : { code: StatusCode.UNSET },
    };
    spans[service].push(record);
    return record;
  };

  for (
    let startMs = trafficFrom + random.between(0, PARAMETERS.requestJitterMs);
    startMs < nowMs - 3_000;
    startMs +=
      PARAMETERS.requestIntervalMs +
      random.between(-PARAMETERS.requestJitterMs, PARAMETERS.requestJitterMs)
  ) {
    const degraded = startMs >= degradedFrom;
    const orderId = `ord-${orderNumber++}`;
    const items = random.int(1, 5);
    const traceId = ids.hex(16);
    const serverSpanId = ids.hex(8);
    const serverRef = { traceId, spanId: serverSpanId };

    // Request parsing and validation, then inventory, payments and the order insert in turn.
    const inventoryStart = startMs + random.between(8, 12);
    const inventoryMs = random.between(...PARAMETERS.normal.inventoryMs);
    const inventoryClient = span('checkout', {
      traceId,
      parentSpanId: serverSpanId,
      name: 'POST /inventory/reserve',
      kind: SpanKind.CLIENT,
      startMs: inventoryStart,
      durationMs: inventoryMs,
      attributes: clientAttributes('inventory', '/inventory/reserve', 200),
    });
    const inventoryNet = random.between(1, 2);
    span('inventory', {
      traceId,
      parentSpanId: inventoryClient.spanId,
      name: 'POST /inventory/reserve',
      kind: SpanKind.SERVER,
      startMs: inventoryStart + inventoryNet / 2,
      durationMs: inventoryMs - inventoryNet,
      attributes: serverAttributes('inventory', '/inventory/reserve', 200),
    });
    const inventoryEnd = inventoryStart + inventoryMs;
    log(
      'checkout',
      inventoryEnd,
      Severity.INFO,
      `inventory reserved for order ${orderId} (${items} items)`,
      serverRef,
      { 'order.id': orderId },
    );

    const timedOut =
      degraded && random.chance(PARAMETERS.degraded.timeoutProbability);
    const paymentsMs = !degraded
      ? random.between(...PARAMETERS.normal.paymentsMs)
      : random.between(
          ...(timedOut
            ? PARAMETERS.degraded.paymentsTimedOutMs
            : PARAMETERS.degraded.paymentsMs),
        );
    const paymentStart = inventoryEnd + random.between(0.5, 1.5);
    // A call that misses the deadline is cancelled by checkout's client at 2000 ms; payments
    // itself keeps working on it until it is done.
    const paymentClientMs = timedOut
      ? PARAMETERS.paymentDeadlineMs + random.between(0.2, 1.5)
      : paymentsMs;
    const paymentClient = span('checkout', {
      traceId,
      parentSpanId: serverSpanId,
      name: 'POST /payments/charge',
      kind: SpanKind.CLIENT,
      startMs: paymentStart,
      durationMs: paymentClientMs,
      attributes: clientAttributes(
        'payments',
        '/payments/charge',
        timedOut ? undefined : 200,
        timedOut ? 'timeout' : undefined,
      ),
      error: timedOut ? 'context deadline exceeded' : undefined,
    });
    const paymentNet = random.between(1, 2);
    const paymentServer = span('payments', {
      traceId,
      parentSpanId: paymentClient.spanId,
      name: 'POST /payments/charge',
      kind: SpanKind.SERVER,
      startMs: paymentStart + paymentNet / 2,
      durationMs: paymentsMs - paymentNet,
      attributes: serverAttributes('payments', '/payments/charge', 200),
    });
    const paymentServerEnd =
      paymentStart + paymentNet / 2 + paymentsMs - paymentNet;
    if (degraded) {
      log(
        'payments',
        paymentServerEnd - 1,
        Severity.WARN,
        `card processor answered in ${Math.round(
          paymentsMs - paymentNet - 3,
        )} ms`,
        paymentServer,
        { 'order.id': orderId },
      );
    }
    log(
      'payments',
      paymentServerEnd,
      Severity.INFO,
      `charge for order ${orderId} captured`,
      paymentServer,
      { 'order.id': orderId },
    );
    const paymentEnd = paymentStart + paymentClientMs;

    let lastChildEnd = paymentEnd;
    let dbMs = null;
    if (timedOut) {
      log(
        'checkout',
        paymentEnd,
        Severity.ERROR,
        `payment authorization timed out after ${PARAMETERS.paymentDeadlineMs} ms for order ${orderId}`,
        paymentClient,
        { 'order.id': orderId },
      );
      if (!leakedToken) {
        leakedToken = true;
        log(
          'checkout',
          paymentEnd + 0.5,
          Severity.WARN,
          `retrying payment for order ${orderId}: POST http://${HOSTS.payments}:8080/payments/charge with headers {Authorization: Bearer ${FAKE_BEARER_TOKEN}}`,
          paymentClient,
          { 'order.id': orderId },
        );
      }
      log(
        'checkout',
        paymentEnd + 1,
        Severity.INFO,
        `released inventory reservation for order ${orderId}`,
        serverRef,
        { 'order.id': orderId },
      );
    } else {
      if (degraded) {
        log(
          'checkout',
          paymentEnd,
          Severity.WARN,
          `payment call to payments took ${Math.round(
            paymentClientMs,
          )} ms (slow)`,
          paymentClient,
          { 'order.id': orderId },
        );
      }
      const dbStart = paymentEnd + random.between(0.5, 1);
      dbMs = random.between(...PARAMETERS.normal.dbMs);
      span('checkout', {
        traceId,
        parentSpanId: serverSpanId,
        name: 'INSERT orders',
        kind: SpanKind.CLIENT,
        startMs: dbStart,
        durationMs: dbMs,
        attributes: {
          'db.system': 'postgresql',
          'db.system.name': 'postgresql',
          'db.namespace': 'orders',
          'db.collection.name': 'orders',
          'db.operation.name': 'INSERT',
          'server.address': HOSTS.ordersDb,
          'server.port': 5432,
          'peer.service': 'orders-db',
        },
      });
      lastChildEnd = dbStart + dbMs;
    }

    const serverEnd = lastChildEnd + random.between(3, 8);
    const serverMs = serverEnd - startMs;
    const error = timedOut ? 'deadline exceeded calling payments' : undefined;
    spans.checkout.push({
      traceId,
      spanId: serverSpanId,
      name: 'POST /checkout',
      kind: SpanKind.SERVER,
      startTimeUnixNano: toUnixNano(startMs),
      endTimeUnixNano: toUnixNano(serverEnd),
      attributes: attributes({
        ...serverAttributes('checkout', '/checkout', timedOut ? 504 : 200),
        ...(timedOut ? { 'error.type': '504' } : {}),
        'app.order.id': orderId,
      }),
      ...(timedOut
        ? {
            events: [
              {
                name: 'exception',
                timeUnixNano: toUnixNano(paymentEnd),
                attributes: attributes({
                  'exception.type': 'PaymentTimeoutError',
                  'exception.message': error,
                }),
              },
            ],
          }
        : {}),
      status: timedOut
        ? { code: StatusCode.ERROR, message: error }
        : { code: StatusCode.UNSET },
    });

    if (!leakedDsn) {
      leakedDsn = true;
      log(
        'checkout',
        startMs + 1,
        Severity.INFO,
        `connected to orders-db: host=${HOSTS.ordersDb} port=5432 user=checkout password=${FAKE_DB_PASSWORD} dbname=orders`,
        serverRef,
      );
    }
    if (!timedOut) {
      log(
        'checkout',
        serverEnd,
        Severity.INFO,
        `order ${orderId} placed in ${Math.round(serverMs)} ms`,
        serverRef,
        { 'order.id': orderId },
      );
    }

    requests.push({
      orderId,
      startMs,
      degraded,
      timedOut,
      serverMs,
      inventoryMs,
      paymentsMs,
      paymentClientMs,
      dbMs,
    });
  }

  return {
    traces: {
      resourceSpans: Object.entries(spans).map(([service, records]) => ({
        resource: resource(service),
        scopeSpans: [{ scope: SCOPE, spans: records }],
      })),
    },
    logs: {
      resourceLogs: Object.entries(logs).map(([service, records]) => ({
        resource: resource(service),
        scopeLogs: [
          { scope: SCOPE, logRecords: records.sort(byTime('timeUnixNano')) },
        ],
      })),
    },
    metrics: buildMetrics({ requests, random, trafficFrom, nowMs }),
    requests,
  };
}

function buildMetrics({ requests, random, trafficFrom, nowMs }) {
  const checkout = [];
  const payments = [];
  const serverDuration = [];
  const paymentsServerDuration = [];
  const clientDuration = { payments: [], inventory: [] };
  const connections = { used: [], idle: [] };
  const cpu = [];
  const processStart = trafficFrom - 3 * 60 * MINUTE;

  for (let from = trafficFrom; from + MINUTE <= nowMs; from += MINUTE) {
    const to = from + MINUTE;
    const inMinute = requests.filter(r => r.startMs >= from && r.startMs < to);
    const point = (values, attrs) =>
      histogramPoint({
        values: values.map(ms => ms / 1000),
        bounds: DURATION_BOUNDS,
        startMs: from,
        endMs: to,
        attributes: attrs,
      });
    serverDuration.push(
      point(
        inMinute.map(r => r.serverMs),
        { 'http.request.method': 'POST', 'http.route': '/checkout' },
      ),
    );
    paymentsServerDuration.push(
      point(
        inMinute.map(r => r.paymentsMs),
        { 'http.request.method': 'POST', 'http.route': '/payments/charge' },
      ),
    );
    for (const dependency of ['payments', 'inventory']) {
      clientDuration[dependency].push(
        point(
          inMinute.map(r =>
            dependency === 'payments' ? r.paymentClientMs : r.inventoryMs,
          ),
          {
            'http.request.method': 'POST',
            'server.address': HOSTS[dependency],
            'server.port': 8080,
          },
        ),
      );
    }
    // A steady pool: 3 of 10 connections in use, now and then one more or less.
    const used = random.chance(0.8) ? 3 : random.int(2, 4);
    for (const [state, value] of [
      ['used', used],
      ['idle', 10 - used],
    ]) {
      connections[state].push({
        startTimeUnixNano: toUnixNano(processStart),
        timeUnixNano: toUnixNano(to),
        asInt: String(value),
        attributes: attributes({ 'pool.name': 'orders-db', state }),
      });
    }
    cpu.push({
      timeUnixNano: toUnixNano(to),
      asDouble: round(random.between(0.2, 0.26), 4),
      attributes: [],
    });
  }

  checkout.push(
    {
      name: 'http.server.request.duration',
      unit: 's',
      description: 'Duration of HTTP server requests.',
      histogram: {
        aggregationTemporality: Temporality.DELTA,
        dataPoints: serverDuration,
      },
    },
    {
      name: 'http.client.request.duration',
      unit: 's',
      description: 'Duration of HTTP client requests.',
      histogram: {
        aggregationTemporality: Temporality.DELTA,
        dataPoints: [...clientDuration.payments, ...clientDuration.inventory],
      },
    },
    {
      name: 'db.client.connections.usage',
      unit: '{connection}',
      description:
        'The number of connections that are currently in the state described by the state attribute.',
      sum: {
        aggregationTemporality: Temporality.CUMULATIVE,
        isMonotonic: false,
        dataPoints: [...connections.used, ...connections.idle],
      },
    },
    {
      name: 'process.cpu.utilization',
      unit: '1',
      description:
        'CPU time used by the process, divided by the CPU time available.',
      gauge: { dataPoints: cpu },
    },
  );
  payments.push({
    name: 'http.server.request.duration',
    unit: 's',
    description: 'Duration of HTTP server requests.',
    histogram: {
      aggregationTemporality: Temporality.DELTA,
      dataPoints: paymentsServerDuration,
    },
  });

  return {
    resourceMetrics: [
      {
        resource: resource('checkout'),
        scopeMetrics: [{ scope: SCOPE, metrics: checkout }],
      },
      {
        resource: resource('payments'),
        scopeMetrics: [{ scope: SCOPE, metrics: payments }],
      },
    ],
  };
}

function resource(service) {
  return {
    attributes: attributes({ 'service.name': service, ...RESOURCE_COMMON }),
  };
}

function serverAttributes(service, route, status) {
  return {
    'http.request.method': 'POST',
    'http.route': route,
    'url.path': route,
    'url.scheme': 'http',
    'server.address': HOSTS[service],
    'server.port': 8080,
    'http.response.status_code': status,
  };
}

function clientAttributes(peer, path, status, errorType) {
  return {
    'http.request.method': 'POST',
    'url.full': `http://${HOSTS[peer]}:8080${path}`,
    'server.address': HOSTS[peer],
    'server.port': 8080,
    'peer.service': peer,
    'http.response.status_code': status,
    'error.type': errorType,
  };
}

function byTime(key) {
  return (a, b) =>
    BigInt(a[key]) < BigInt(b[key])
      ? -1
      : BigInt(a[key]) > BigInt(b[key])
      ? 1
      : 0;
}
