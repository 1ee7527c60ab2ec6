import {
  LogRecord,
  MetricPoint,
  SpanRecord,
  TelemetryResult,
} from '@ai-triage/plugin-ai-triage-node';
import { testAlert } from './alerts';
import { ContextBuildInput } from '../enrichment/ContextBuilder';

/*
 * Synthetic incidents with a known root cause, for the context builder and reasoner tests.
 * Everything is computed from loop indices, so each scenario is the same on every run.
 */

export const WINDOW_FROM_MS = Date.parse('2026-11-24T10:00:00.000Z');
export const WINDOW_TO_MS = WINDOW_FROM_MS + 15 * 60_000;
export const BASELINE_FROM_MS = WINDOW_FROM_MS - 15 * 60_000;

function hex(n: number, length: number): string {
  return n.toString(16).padStart(length, '0');
}

type Call = { peer: string; name: string; durationMs: number; error?: string };

/** One server span of `service` and the client spans it makes, as one trace. */
function request(
  service: string,
  i: number,
  startMs: number,
  server: { name: string; durationMs: number; error?: string },
  calls: Call[],
): SpanRecord[] {
  const traceId = hex(i + 1, 32);
  const serverSpanId = hex(i * 16 + 1, 16);
  const serverSpan: SpanRecord = {
    traceId,
    spanId: serverSpanId,
    parentSpanId: null,
    serviceName: service,
    name: server.name,
    kind: 2,
    startTimeMs: startMs,
    durationMs: server.durationMs,
    statusCode: server.error ? 2 : 0,
    statusMessage: server.error ?? null,
    peerService: null,
    attributes: { 'http.route': server.name.split(' ')[1] ?? server.name },
  };
  return [
    serverSpan,
    ...calls.map(
      (call, c): SpanRecord => ({
        traceId,
        spanId: hex(i * 16 + 2 + c, 16),
        parentSpanId: serverSpanId,
        serviceName: service,
        name: call.name,
        kind: 3,
        startTimeMs: startMs + 1,
        durationMs: call.durationMs,
        statusCode: call.error ? 2 : 0,
        statusMessage: call.error ?? null,
        peerService: call.peer,
        attributes: { 'peer.service': call.peer },
      }),
    ),
  ];
}

function log(
  service: string,
  timestampMs: number,
  severityNumber: number,
  body: string,
): LogRecord {
  const severityText =
    { 9: 'INFO', 13: 'WARN', 17: 'ERROR', 21: 'FATAL' }[severityNumber] ?? '';
  return {
    serviceName: service,
    timestampMs,
    severityText,
    severityNumber,
    body,
    traceId: null,
    spanId: null,
    attributes: {},
  };
}

function gauge(
  service: string,
  name: string,
  attributes: Record<string, string>,
  fromMs: number,
  value: (i: number) => number,
): MetricPoint[] {
  return Array.from({ length: 15 }, (_, i) => ({
    serviceName: service,
    name,
    timestampMs: fromMs + i * 60_000,
    value: value(i),
    attributes,
  }));
}

function input(
  service: string,
  current: TelemetryResult,
  baseline: TelemetryResult,
  alertName: string,
  summary: string,
): ContextBuildInput {
  return {
    incidentId: `inc-${service}`,
    serviceName: service,
    alerts: [
      {
        ...testAlert({
          fingerprint: `fp-${service}`,
          name: alertName,
          severity: 'critical',
          labels: { alertname: alertName, service },
          annotations: { summary },
          resource: { 'service.name': service },
        }),
        id: `alert-${service}`,
      },
    ],
    window: { fromMs: WINDOW_FROM_MS, toMs: WINDOW_TO_MS },
    baselineWindow: { fromMs: BASELINE_FROM_MS, toMs: WINDOW_FROM_MS },
    current,
    baseline,
    missing: [],
    truncated: [],
  };
}

/**
 * checkout is slow because payments is: every checkout waits ~1.4 s on payments (80 ms in the
 * baseline), some time out, and the payment client's latency metric rises accordingly. Redis and
 * PostgreSQL stay fast; CPU is flat.
 */
export function slowPaymentsScenario(): ContextBuildInput {
  const spans = (
    fromMs: number,
    paymentsMs: (i: number) => number,
    failing: boolean,
  ) => [
    ...Array.from({ length: 200 }, (_, i) => {
      const timeout = failing && i % 10 === 0;
      const payments = paymentsMs(i);
      return request(
        'checkout',
        i,
        fromMs + i * 4_000,
        {
          name: 'POST /checkout',
          durationMs: payments + 40,
          error: timeout
            ? 'payment authorization failed: deadline exceeded'
            : undefined,
        },
        [
          { peer: 'redis', name: 'GET', durationMs: 1 + (i % 3) },
          { peer: 'postgres', name: 'INSERT orders', durationMs: 8 + (i % 5) },
          {
            peer: 'payments',
            name: 'POST /authorize',
            durationMs: payments,
            error: timeout ? 'DEADLINE_EXCEEDED' : undefined,
          },
        ],
      );
    }).flat(),
    ...Array.from({ length: 60 }, (_, i) =>
      request(
        'checkout',
        1_000 + i,
        fromMs + i * 10_000,
        { name: 'GET /cart', durationMs: 12 },
        [{ peer: 'redis', name: 'GET', durationMs: 2 }],
      ),
    ).flat(),
  ];
  const current: TelemetryResult = {
    spans: spans(WINDOW_FROM_MS, i => 1_400 + (i % 50) * 10, true),
    logs: [
      ...Array.from({ length: 20 }, (_, i) =>
        log(
          'checkout',
          WINDOW_FROM_MS + i * 40_000,
          17,
          `payment authorization for order ${5000 + i} timed out after ${
            1500 + i
          } ms (payments.shop.svc:8443)`,
        ),
      ),
      ...Array.from({ length: 100 }, (_, i) =>
        log(
          'checkout',
          WINDOW_FROM_MS + i * 8_000,
          9,
          `order ${4000 + i} placed by user ${i % 7}`,
        ),
      ),
    ],
    metrics: [
      ...gauge(
        'checkout',
        'http.client.request.duration',
        { 'server.address': 'payments' },
        WINDOW_FROM_MS,
        i => 1.4 + i / 100,
      ),
      ...gauge(
        'checkout',
        'process.cpu.utilization',
        {},
        WINDOW_FROM_MS,
        i => 0.3 + (i % 3) / 100,
      ),
    ],
  };
  const baseline: TelemetryResult = {
    spans: spans(BASELINE_FROM_MS, i => 70 + (i % 20), false),
    logs: [],
    metrics: [
      ...gauge(
        'checkout',
        'http.client.request.duration',
        { 'server.address': 'payments' },
        BASELINE_FROM_MS,
        () => 0.08,
      ),
      ...gauge(
        'checkout',
        'process.cpu.utilization',
        {},
        BASELINE_FROM_MS,
        i => 0.29 + (i % 3) / 100,
      ),
    ],
  };
  return input(
    'checkout',
    current,
    baseline,
    'CheckoutHighLatency',
    'p99 latency of checkout above 1s',
  );
}

/**
 * inventory fails to process messages: a burst of ERROR logs with one template (a poison message
 * in the orders topic), while its dependencies and metrics stay healthy.
 */
export function poisonMessageScenario(): ContextBuildInput {
  const spans = (fromMs: number) =>
    Array.from({ length: 100 }, (_, i) =>
      request(
        'inventory',
        i,
        fromMs + i * 9_000,
        { name: 'GET /stock', durationMs: 30 },
        [{ peer: 'postgres', name: 'SELECT stock', durationMs: 5 }],
      ),
    ).flat();
  const current: TelemetryResult = {
    spans: spans(WINDOW_FROM_MS),
    logs: [
      ...Array.from({ length: 300 }, (_, i) =>
        log(
          'inventory',
          WINDOW_FROM_MS + i * 3_000,
          17,
          `Failed to deserialize message at offset ${
            88_000 + i
          } from topic orders: unexpected token '<' in JSON at position 0`,
        ),
      ),
      ...Array.from({ length: 50 }, (_, i) =>
        log(
          'inventory',
          WINDOW_FROM_MS + i * 18_000,
          9,
          `reserved ${(i % 4) + 1} items for order ${7000 + i}`,
        ),
      ),
    ],
    metrics: gauge(
      'inventory',
      'messaging.kafka.consumer.lag',
      { topic: 'orders' },
      WINDOW_FROM_MS,
      () => 120,
    ),
  };
  const baseline: TelemetryResult = {
    spans: spans(BASELINE_FROM_MS),
    logs: [],
    metrics: gauge(
      'inventory',
      'messaging.kafka.consumer.lag',
      { topic: 'orders' },
      BASELINE_FROM_MS,
      () => 110,
    ),
  };
  return input(
    'inventory',
    current,
    baseline,
    'InventoryErrors',
    'inventory error log rate above 1/s',
  );
}

/**
 * orders runs out of database connections: the pool's usage climbs from ~40% to ~98% and
 * requests queue for a connection, while no downstream is slow and no error logs appear.
 */
export function connectionPoolScenario(): ContextBuildInput {
  const spans = (fromMs: number, durationMs: number) =>
    Array.from({ length: 100 }, (_, i) =>
      request(
        'orders',
        i,
        fromMs + i * 9_000,
        { name: 'POST /orders', durationMs },
        [{ peer: 'postgres', name: 'INSERT orders', durationMs: 6 }],
      ),
    ).flat();
  const pool = {
    'db.client.connection.pool.name': 'orders-main',
    'db.client.connection.state': 'used',
  };
  const current: TelemetryResult = {
    spans: spans(WINDOW_FROM_MS, 900),
    logs: [],
    metrics: [
      ...gauge(
        'orders',
        'db.client.connection.count',
        pool,
        WINDOW_FROM_MS,
        i => 90 + (i % 3) * 4,
      ),
      ...gauge(
        'orders',
        'process.cpu.utilization',
        {},
        WINDOW_FROM_MS,
        () => 0.2,
      ),
    ],
  };
  const baseline: TelemetryResult = {
    spans: spans(BASELINE_FROM_MS, 40),
    logs: [],
    metrics: [
      ...gauge(
        'orders',
        'db.client.connection.count',
        pool,
        BASELINE_FROM_MS,
        i => 38 + (i % 3) * 2,
      ),
      ...gauge(
        'orders',
        'process.cpu.utilization',
        {},
        BASELINE_FROM_MS,
        () => 0.2,
      ),
    ],
  };
  return input(
    'orders',
    current,
    baseline,
    'OrdersHighLatency',
    'orders p99 latency above 500ms',
  );
}

/** A quiet service: alerts fired, but its telemetry looks like its baseline. */
export function quietScenario(): ContextBuildInput {
  const spans = (fromMs: number) =>
    Array.from({ length: 50 }, (_, i) =>
      request(
        'catalog',
        i,
        fromMs + i * 18_000,
        { name: 'GET /items', durationMs: 20 },
        [{ peer: 'postgres', name: 'SELECT items', durationMs: 4 }],
      ),
    ).flat();
  const current: TelemetryResult = {
    spans: spans(WINDOW_FROM_MS),
    logs: Array.from({ length: 30 }, (_, i) =>
      log('catalog', WINDOW_FROM_MS + i * 30_000, 9, `listed ${i + 10} items`),
    ),
    metrics: gauge(
      'catalog',
      'process.cpu.utilization',
      {},
      WINDOW_FROM_MS,
      () => 0.25,
    ),
  };
  const baseline: TelemetryResult = {
    spans: spans(BASELINE_FROM_MS),
    logs: [],
    metrics: gauge(
      'catalog',
      'process.cpu.utilization',
      {},
      BASELINE_FROM_MS,
      () => 0.24,
    ),
  };
  return input(
    'catalog',
    current,
    baseline,
    'CatalogProbeFlapping',
    'synthetic probe failed once',
  );
}
