import os from 'node:os';
import {
  LogRecord,
  MetricPoint,
  SpanRecord,
  TelemetryResult,
} from '@ai-triage/plugin-ai-triage-node';
import { ContextBuilder } from '../src/enrichmentOldTmp/ContextBuilder';
import { testAlert } from '../src/__testUtils__/alerts';

/**
 * Size and build time of a context document as the incident window's telemetry grows:
 *
 *   npm run bench:context [-- --runs N]
 *
 * For each size it generates synthetic telemetry of a `checkout` service in memory (log lines of
 * 40 message shapes with varying ids, numbers, addresses and trace ids; traces of a server span,
 * three client calls and the downstream `payments` spans; 60 metric series), the same volume
 * again for the baseline window, and times ContextBuilder.build on those in-memory records with
 * the default budget (32 KiB, 12,000 estimated tokens): the median of N runs (default 3) after
 * one warm-up run. Reading telemetry from a back-end is not included.
 */
const SIZES = [
  { logs: 10_000, spans: 1_000 },
  { logs: 100_000, spans: 10_000 },
  { logs: 1_000_000, spans: 100_000 },
];

const SERVICE = 'checkout';
const METRIC_NAMES = [
  'http.server.request.duration',
  'http.client.request.duration',
  'process.cpu.utilization',
];
const FROM_MS = Date.parse('2026-11-24T10:00:00.000Z');
const WINDOW_MS = 15 * 60_000;

/** A deterministic pseudo-random sequence (mulberry32), so every run sees the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number, length: number) =>
  Math.floor(n).toString(16).padStart(length, '0').slice(-length);

type Shape = {
  severity: number;
  body: (r: () => number, i: number) => string;
};

const WORDS = ['cart', 'order', 'invoice', 'shipment', 'refund', 'coupon'];
const SHAPES: Shape[] = [
  ...WORDS.flatMap((word, w): Shape[] => [
    {
      severity: 9,
      body: (r, i) =>
        `${word} ${i} created for customer ${Math.floor(r() * 1e6)} in ${
          Math.floor(r() * 900) + 10
        } ms`,
    },
    {
      severity: 9,
      body: r =>
        `GET /api/v1/${word}s/${Math.floor(r() * 1e5)} 200 ${Math.floor(
          r() * 5000,
        )} bytes in ${(r() * 50).toFixed(1)}ms`,
    },
    {
      severity: 5,
      body: r =>
        `cache ${word}:${hex(
          r() * 2 ** 32,
          8,
        )} miss, loading from postgres shard ${w + 1}`,
    },
    {
      severity: 13,
      body: r =>
        `slow query on ${word}s took ${Math.floor(
          r() * 3000,
        )} ms rows=${Math.floor(r() * 100)}`,
    },
    {
      severity: 9,
      body: r =>
        `published ${word}.updated event ${hex(
          r() * 2 ** 48,
          12,
        )} to topic ${word}-events partition ${Math.floor(r() * 12)}`,
    },
  ]),
  {
    severity: 17,
    body: r =>
      `payment authorization for order ${Math.floor(
        r() * 1e6,
      )} timed out after ${Math.floor(
        1000 + r() * 1000,
      )} ms (payments.shop.svc:8443)`,
  },
  {
    severity: 17,
    body: r =>
      `connection reset by peer 10.0.${Math.floor(r() * 255)}.${Math.floor(
        r() * 255,
      )}:5432 after ${Math.floor(r() * 30)} retries`,
  },
  {
    severity: 13,
    body: r =>
      `retrying charge ${hex(r() * 2 ** 32, 8)}-${hex(
        r() * 2 ** 16,
        4,
      )} attempt ${Math.floor(r() * 5) + 1} of 5`,
  },
  {
    severity: 21,
    body: r =>
      `worker pool exhausted: ${Math.floor(
        r() * 64,
      )} of 64 busy, queue ${Math.floor(r() * 1000)}`,
  },
  {
    severity: 9,
    body: r =>
      `login succeeded for user${Math.floor(
        r() * 1000,
      )}@example.com from 192.168.${Math.floor(r() * 255)}.${Math.floor(
        r() * 255,
      )}`,
  },
  {
    severity: 5,
    body: r => `heartbeat ok load=${(r() * 4).toFixed(2)}`,
  },
  {
    severity: 9,
    body: r =>
      `request ${hex(r() * 2 ** 32, 8)}${hex(
        r() * 2 ** 32,
        8,
      )} completed with status ${r() < 0.9 ? 200 : 503}`,
  },
  {
    severity: 17,
    body: r =>
      `upstream payments returned 503 for POST /charge, token=tok_${hex(
        r() * 2 ** 32,
        8,
      )}`,
  },
  {
    severity: 9,
    body: () => 'inventory snapshot refreshed',
  },
  {
    severity: 9,
    body: r =>
      `gc pause ${(r() * 20).toFixed(2)}ms heap ${Math.floor(
        r() * 512,
      )}MB of 1024MB`,
  },
];

function telemetry(
  size: { logs: number; spans: number },
  fromMs: number,
  seed: number,
  failing: boolean,
): TelemetryResult {
  const r = random(seed);
  const spans: SpanRecord[] = [];
  let trace = 0;
  const traceIds: string[] = [];
  while (spans.length < size.spans) {
    const traceId = hex(seed, 8) + hex(trace, 24);
    traceIds.push(traceId);
    const startMs = fromMs + Math.floor((trace * WINDOW_MS) / (size.spans / 6));
    const paymentsMs = failing ? 800 + r() * 1200 : 60 + r() * 40;
    const paymentsError = failing && r() < 0.1;
    const serverId = hex(trace * 8 + 1, 16);
    const span = (
      spanId: string,
      parentSpanId: string | null,
      serviceName: string,
      name: string,
      kind: number,
      offsetMs: number,
      durationMs: number,
      peerService: string | null,
      error: boolean,
    ): SpanRecord => ({
      traceId,
      spanId,
      parentSpanId,
      serviceName,
      name,
      kind,
      startTimeMs: startMs + offsetMs,
      durationMs,
      statusCode: error ? 2 : 0,
      statusMessage: error
        ? 'payment authorization failed: deadline exceeded'
        : null,
      peerService,
      attributes: {},
    });
    const redisMs = 1 + r() * 2;
    const dbMs = 3 + r() * 10;
    spans.push(
      span(
        serverId,
        null,
        SERVICE,
        'POST /checkout',
        2,
        0,
        redisMs + dbMs + paymentsMs + 5,
        null,
        paymentsError,
      ),
      span(
        hex(trace * 8 + 2, 16),
        serverId,
        SERVICE,
        'GET',
        3,
        1,
        redisMs,
        'redis',
        false,
      ),
      span(
        hex(trace * 8 + 3, 16),
        serverId,
        SERVICE,
        'SELECT orders',
        3,
        2 + redisMs,
        dbMs,
        'postgres',
        false,
      ),
      span(
        hex(trace * 8 + 4, 16),
        serverId,
        SERVICE,
        'POST /charge',
        3,
        3 + redisMs + dbMs,
        paymentsMs,
        'payments',
        paymentsError,
      ),
      span(
        hex(trace * 8 + 5, 16),
        hex(trace * 8 + 4, 16),
        'payments',
        'POST /charge',
        2,
        4 + redisMs + dbMs,
        paymentsMs - 2,
        null,
        paymentsError,
      ),
      span(
        hex(trace * 8 + 6, 16),
        hex(trace * 8 + 5, 16),
        'payments',
        'authorize',
        3,
        5 + redisMs + dbMs,
        paymentsMs - 6,
        'card-network',
        paymentsError,
      ),
    );
    trace += 1;
  }
  spans.length = size.spans;

  const logs: LogRecord[] = new Array(size.logs);
  for (let i = 0; i < size.logs; i++) {
    // Error shapes are rarer than the rest, and only frequent while failing.
    let shape = SHAPES[Math.floor(r() * SHAPES.length)];
    if (shape.severity >= 17 && !failing && r() < 0.9) shape = SHAPES[0];
    const traced = r() < 0.5;
    const traceId = traced ? traceIds[Math.floor(r() * traceIds.length)] : null;
    logs[i] = {
      serviceName: SERVICE,
      timestampMs: fromMs + Math.floor((i * WINDOW_MS) / size.logs),
      severityText: '',
      severityNumber: shape.severity,
      body: shape.body(r, i),
      traceId,
      spanId: traceId ? hex(Math.floor(r() * 4) + 1, 16) : null,
      attributes: {},
    };
  }

  const metrics: MetricPoint[] = [];
  for (let series = 0; series < 60; series++) {
    for (let minute = 0; minute < 15; minute++) {
      metrics.push({
        serviceName: SERVICE,
        name: METRIC_NAMES[series % 3],
        timestampMs: fromMs + minute * 60_000,
        value: (failing && series % 3 === 1 ? 10 : 1) * (0.1 + r()),
        attributes: { 'http.route': `/route/${series}` },
      });
    }
  }
  return { spans, logs, metrics };
}

function main(args: string[]) {
  let runs = 3;
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === '--runs' && Number(args[i + 1]) >= 1) {
      runs = Math.floor(Number(args[i + 1]));
    } else {
      throw new Error(`Unknown or incomplete argument: ${args[i]}`);
    }
  }
  const builder = ContextBuilder.create();
  const lines = [
    `ContextBuilder.build on in-memory records (incident window plus a baseline window of the same volume); Node ${
      process.version
    }; median of ${runs} runs; load average ${os
      .loadavg()[0]
      .toFixed(2)} at the start`,
    '',
    '| Log lines | Spans | Context bytes | Estimated tokens | Log templates | Build time (ms) |',
    '|---:|---:|---:|---:|---:|---:|',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const size of SIZES) {
    // Through JSON, as records arrive from a back-end (and so with flat strings).
    const current: TelemetryResult = JSON.parse(
      JSON.stringify(telemetry(size, FROM_MS, 1, true)),
    );
    const baseline: TelemetryResult = JSON.parse(
      JSON.stringify(telemetry(size, FROM_MS - WINDOW_MS, 2, false)),
    );
    const input = {
      incidentId: 'inc-bench',
      serviceName: SERVICE,
      alerts: [
        {
          ...testAlert({
            fingerprint: 'fp-bench',
            name: 'CheckoutHighLatency',
          }),
          id: 'alert-bench',
        },
      ],
      window: { fromMs: FROM_MS, toMs: FROM_MS + WINDOW_MS },
      baselineWindow: { fromMs: FROM_MS - WINDOW_MS, toMs: FROM_MS },
      current,
      baseline,
      missing: [],
      truncated: [],
    };
    let document = builder.build(input);
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const start = process.hrtime.bigint();
      document = builder.build(input);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const fmt = (n: number) => n.toLocaleString('en-US');
    process.stdout.write(
      `| ${fmt(size.logs)} | ${fmt(size.spans)} | ${fmt(
        document.size!.bytes,
      )} | ${fmt(document.size!.estimatedTokens)} | ${
        document.logTemplates.length
      } | ${fmt(Math.round(median))} |\n`,
    );
  }
}

if (require.main === module) main(process.argv.slice(2));
export { telemetry };
