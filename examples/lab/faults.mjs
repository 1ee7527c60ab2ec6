// Every lab scenario in one table: the fault, switched on `healthyMs` after the load starts and
// kept for `faultMs`, and its truth record (what a human would name as the origin and kind, and
// the evidence they would point to). Knobs under `effects.<service>` are read by that service
// (lib/service.mjs `effect()`, services/externals.mjs) from the fault's start on; `act` runs in
// the lab runner at the fault's start (restarts, kills, database sessions). Faults are written
// from how they look in production, not from what any triage rule looks for.
//
// Truth `kind` is one of FAULT_KINDS (plugins/ai-triage-common/src/schemas/localization.ts).
// `hops` is computed when recording: the distance in the call graph from the service of the first
// alert that fired to the origin.

import { readFileSync } from 'node:fs';

/**
 * Who calls whom (the shop's call graph; externals and the database included). In a file of its
 * own: the benchmark's scoring reads it too, to tell the incidents a fault can have caused (see
 * plugins/ai-triage-backend/src/__testUtils__/labScoring.ts).
 */
export const TOPOLOGY = JSON.parse(
  readFileSync(new URL('./topology.json', import.meta.url), 'utf8'),
);

const HEALTHY_MS = 120_000;
const FAULT_MS = 90_000;

export const SCENARIOS = [
  {
    name: 'provider-slow',
    description:
      'The payment provider answers in ~1.6 s instead of ~120 ms (its own incident); payments waits, checkouts crawl.',
    effects: { 'payment-provider': { delayMs: 1600 } },
    truth: {
      origin: 'payment-provider',
      kind: 'latency',
      evidence: [
        'payments client spans POST payment-provider /v1/charges take ~1.6 s (baseline ~120 ms)',
        'payments self time unchanged; checkout and storefront latency rise by the same amount',
      ],
    },
  },
  {
    name: 'provider-timeout',
    description:
      'The payment provider accepts connections and never answers; payments gives up after its 2 s timeout.',
    effects: { 'payment-provider': { hang: true } },
    truth: {
      origin: 'payment-provider',
      kind: 'timeout',
      evidence: [
        'payments logs "charge for ord_… failed at payment provider: POST payment-provider:…/v1/charges timed out after 2000 ms (ETIMEDOUT)"',
        'payments client spans to payment-provider end in errors at ~2 s; checkout answers 502',
      ],
    },
  },
  {
    name: 'provider-rate-limit',
    description:
      'The payment provider enforces a quota of 2 charges per second; over it, 429 with Retry-After. payments retries once, then fails.',
    effects: { 'payment-provider': { quotaPerSecond: 2 } },
    truth: {
      origin: 'payment-provider',
      kind: 'rate-limit',
      evidence: [
        'payments logs "payment provider rate limited charge … (429), retrying" and "… answered 429: rate limit exceeded"',
        'payments client spans to payment-provider with http.response.status_code 429',
      ],
    },
  },
  {
    name: 'provider-tls-rotation',
    description:
      'The payment provider rotates to a certificate our trust store does not know; every new TLS handshake from payments fails.',
    effects: { 'payment-provider': { rotateCertificate: true } },
    truth: {
      origin: 'payment-provider',
      kind: 'network',
      evidence: [
        'payments logs "charge … failed at payment provider: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)"',
        'payments client spans to payment-provider fail without an HTTP status',
      ],
    },
  },
  {
    name: 'carrier-down',
    description:
      "The carrier's API is down (process gone): shipping's calls are refused, quotes and checkouts fail.",
    act: lab => lab.stop('carrier-api'),
    truth: {
      origin: 'carrier-api',
      kind: 'network',
      evidence: [
        'shipping logs "POST /quote failed: connect ECONNREFUSED 127.0.0.1:…"',
        'shipping client spans to carrier-api fail with ECONNREFUSED; checkout answers 502',
      ],
    },
  },
  {
    name: 'carrier-slow',
    description:
      "The carrier's API slows to ~1.2 s per rate lookup; shipping quotes, checkout and storefront follow.",
    effects: { 'carrier-api': { delayMs: 1200 } },
    truth: {
      origin: 'carrier-api',
      kind: 'latency',
      evidence: [
        'shipping client spans GET carrier-api /v2/rates take ~1.2 s (baseline ~40 ms)',
        'shipping self time unchanged',
      ],
    },
  },
  {
    name: 'shipping-dns-failure',
    description:
      "A config rollout points shipping at the carrier's retired host name carrier-api.invalid, which does not resolve.",
    effects: { shipping: { carrierHost: 'carrier-api.invalid' } },
    truth: {
      origin: 'shipping',
      kind: 'network',
      evidence: [
        'shipping logs "POST /quote failed: getaddrinfo ENOTFOUND carrier-api.invalid"',
        'shipping client spans fail before any response; no call reaches carrier-api',
      ],
    },
  },
  {
    name: 'shipping-lock-contention',
    description:
      'A bug invalidates the shipping rate-table cache on every quote; each reload holds an in-process lock for ~150 ms, so quotes queue behind it.',
    effects: { shipping: { rateTableReloadMs: 150 } },
    truth: {
      origin: 'shipping',
      kind: 'resource-wait',
      evidence: [
        'shipping logs "waited … ms for the rate-table lock"',
        'shipping server spans slow while its client spans to carrier-api stay ~40 ms (self time grew)',
      ],
    },
  },
  {
    name: 'inventory-pool-leak',
    description:
      'A code path in inventory does not release its database connection; the pool of 8 drains, acquires wait 1.5 s and time out, while queries stay fast.',
    effects: { inventory: { poolLeakRatio: 0.04 } },
    truth: {
      origin: 'inventory',
      kind: 'resource-wait',
      evidence: [
        'inventory logs "could not acquire a database connection …: timeout exceeded when trying to connect (pool size 8, … waiting)"',
        'inventory pg-pool.connect spans long, SELECT/UPDATE spans as fast as before; db.client.connection.count used = max',
      ],
    },
  },
  {
    name: 'inventory-gc-pressure',
    description:
      "inventory's product-image cache stops evicting in time: the heap sits near its limit and garbage collection eats the event loop.",
    serviceArgs: { inventory: ['--max-old-space-size=192'] },
    effects: { inventory: { cacheRetainKb: 48, cacheMaxEntries: 260 } },
    truth: {
      origin: 'inventory',
      kind: 'saturation',
      evidence: [
        'inventory v8js.gc.duration and nodejs.eventloop.delay rise; heap used near its limit',
        'inventory server spans slow while its database spans stay fast',
      ],
    },
  },
  {
    name: 'payments-cpu-burn',
    description:
      "A stricter fraud model makes payments' synchronous fraud check ~60x more expensive; the event loop saturates and charges queue.",
    effects: { payments: { fraudCheckIterations: 120_000 } },
    truth: {
      origin: 'payments',
      kind: 'saturation',
      evidence: [
        'payments nodejs.eventloop.utilization near 1 and nodejs.eventloop.delay high',
        'payments server spans slow while its client spans to payment-provider stay ~120 ms',
      ],
    },
  },
  {
    name: 'checkout-bad-deploy',
    description:
      'checkout 1.5.0 is deployed: it expects a new coupon format, so every order with a coupon fails with a TypeError.',
    act: lab => lab.restart('checkout', { version: '1.5.0' }),
    truth: {
      origin: 'checkout',
      kind: 'deploy',
      evidence: [
        'service.version of checkout changes 1.4.2 → 1.5.0 at the onset',
        'checkout logs "POST /orders failed: Cannot read properties of undefined (reading \'percent\')" from then on',
      ],
    },
  },
  {
    name: 'inventory-bad-deploy',
    description:
      'inventory 2.3.0 is deployed: its reservation checks stock movements with lower(sku), which defeats the index; every reservation scans the table.',
    act: lab => lab.restart('inventory', { version: '2.3.0' }),
    truth: {
      origin: 'inventory',
      kind: 'deploy',
      evidence: [
        'service.version of inventory changes 2.2.0 → 2.3.0 at the onset',
        'inventory SELECT … stock_movements WHERE lower(sku) spans take tens of ms each (sequential scan)',
      ],
    },
  },
  {
    name: 'orders-db-lock',
    description:
      'An operator runs a migration on orders-db that takes ACCESS EXCLUSIVE locks on the stock table for 6 s at a time; inventory queries wait on them.',
    act: lab => lab.lockTable('stock', { holdMs: 6000, pauseMs: 1500 }),
    truth: {
      origin: 'orders-db',
      kind: 'latency',
      evidence: [
        'inventory database spans on stock take seconds; pool connections busy waiting for the lock',
        'pg_locks shows an ACCESS EXCLUSIVE lock on stock held by a migration session',
      ],
    },
  },
  {
    name: 'fulfillment-poison-message',
    description:
      'A producer publishes a truncated order event; fulfillment fails to parse it, rolls back its batch and retries forever, so the queue backs up.',
    act: lab => lab.publishPoisonMessage(),
    truth: {
      origin: 'fulfillment',
      kind: 'bad-input',
      evidence: [
        'fulfillment logs "failed to process order event … Unexpected end of JSON input; batch rolled back, will retry"',
        'fulfillment messaging.queue.depth grows steadily; consumer spans fail on the same message id',
      ],
    },
  },
  // The same kinds of fault in a shop that alerts on symptoms only (prometheus/rules-edge.yml:
  // storefront SLO alerts, nothing on internal services): the first alert is hops away.
  {
    name: 'edge-shipping-lock-contention',
    description:
      'Symptom alerting only. Every quote reloads the shipping rate table under an in-process lock held ~300 ms; quotes queue and time out in checkout.',
    rules: 'edge',
    effects: { shipping: { rateTableReloadMs: 300 } },
    truth: {
      origin: 'shipping',
      kind: 'resource-wait',
      evidence: [
        'shipping logs "waited … ms for the rate-table lock", growing',
        'shipping server spans slow while its client spans to carrier-api stay ~40 ms; checkout times out calling shipping',
      ],
    },
  },
  {
    name: 'edge-payments-cpu-burn',
    description:
      "Symptom alerting only. A stricter fraud model makes payments' synchronous fraud check ~60x more expensive; payments saturates.",
    rules: 'edge',
    effects: { payments: { fraudCheckIterations: 120_000 } },
    truth: {
      origin: 'payments',
      kind: 'saturation',
      evidence: [
        'payments nodejs.eventloop.utilization near 1, nodejs.eventloop.delay high',
        'payments server spans slow while its calls to payment-provider stay ~120 ms',
      ],
    },
  },
  {
    name: 'edge-provider-rate-limit',
    description:
      'Symptom alerting only. The payment provider enforces a quota of 2 charges per second (429 with Retry-After).',
    rules: 'edge',
    effects: { 'payment-provider': { quotaPerSecond: 2 } },
    truth: {
      origin: 'payment-provider',
      kind: 'rate-limit',
      evidence: [
        'payments logs "… answered 429: rate limit exceeded" after one retry',
        'payments client spans to payment-provider with http.response.status_code 429',
      ],
    },
  },
  {
    name: 'edge-orders-db-lock',
    description:
      'Symptom alerting only. A migration holds ACCESS EXCLUSIVE locks on the stock table for 6 s at a time.',
    rules: 'edge',
    act: lab => lab.lockTable('stock', { holdMs: 6000, pauseMs: 1500 }),
    truth: {
      origin: 'orders-db',
      kind: 'latency',
      evidence: [
        'inventory database spans on stock take seconds; checkout and storefront time out calling inventory',
        'pg_locks shows an ACCESS EXCLUSIVE lock on stock held by a migration session',
      ],
    },
  },
  {
    name: 'edge-carrier-down',
    description:
      "Symptom alerting only. The carrier's API is down: shipping's calls are refused.",
    rules: 'edge',
    act: lab => lab.stop('carrier-api'),
    truth: {
      origin: 'carrier-api',
      kind: 'network',
      evidence: [
        'shipping logs "POST /quote failed: connect ECONNREFUSED 127.0.0.1:…"',
        'shipping client spans to carrier-api fail with ECONNREFUSED',
      ],
    },
  },
  // No-fault runs: alerts fire, nothing is broken. The right answer is an abstention or only
  // low-probability hypotheses.
  {
    name: 'nofault-dominant-dependency',
    description:
      'Steady traffic; a capacity-planning warning on storefront request rate fires. checkout dominates storefront time, as it always does.',
    faultMs: 60_000,
    extraRules: [
      {
        alert: 'StorefrontTrafficAbovePlan',
        expr: 'sum by (service) (rate(http_server_request_duration_count{service="storefront"}[30s])) > 4',
        for: '60s',
        labels: { severity: 'warning' },
        annotations: { summary: 'storefront traffic above the capacity plan' },
      },
    ],
    truth: {
      origin: null,
      kind: null,
      evidence: ['no fault was injected; traffic and latencies stayed steady'],
    },
  },
  {
    name: 'nofault-noisy-alert',
    description:
      'Steady traffic; a latency alert on checkout with a threshold set too low (p99 > 300 ms) fires on normal jitter.',
    faultMs: 60_000,
    extraRules: [
      {
        alert: 'CheckoutLatencyTight',
        expr: 'histogram_quantile(0.99, sum by (service, le) (rate(http_server_request_duration_bucket{service="checkout"}[30s]))) > 0.3',
        for: '5s',
        labels: { severity: 'warning' },
        annotations: { summary: 'checkout p99 above 300 ms' },
      },
    ],
    truth: {
      origin: null,
      kind: null,
      evidence: [
        'no fault was injected; checkout p99 sits around its usual value',
      ],
    },
  },
  {
    name: 'nofault-short-history',
    description:
      'A freshly started shop with only about a minute of history; a strict storefront latency alert fires on cold-start jitter.',
    healthyMs: 20_000,
    faultMs: 40_000,
    extraRules: [
      {
        alert: 'StorefrontLatencyStrict',
        expr: 'histogram_quantile(0.95, sum by (service, le) (rate(http_server_request_duration_bucket{service="storefront"}[30s]))) > 0.25',
        for: '5s',
        labels: { severity: 'warning' },
        annotations: { summary: 'storefront p95 above 250 ms' },
      },
    ],
    truth: {
      origin: null,
      kind: null,
      evidence: ['no fault was injected; the services had only started'],
    },
  },
].map(scenario => ({
  healthyMs: HEALTHY_MS,
  faultMs: FAULT_MS,
  effects: {},
  extraRules: [],
  rules: 'default',
  ...scenario,
}));

export function scenarioByName(name) {
  const scenario = SCENARIOS.find(s => s.name === name);
  if (!scenario)
    throw new Error(
      `unknown lab scenario "${name}"; one of: ${SCENARIOS.map(
        s => s.name,
      ).join(', ')}`,
    );
  return scenario;
}

/** Calls from `from` to reach `to` along the call graph (0 when equal), or null when it cannot. */
export function hopsBetween(from, to) {
  if (!from || !to) return null;
  const seen = new Map([[from, 0]]);
  const queue = [from];
  while (queue.length) {
    const node = queue.shift();
    if (node === to) return seen.get(node);
    for (const next of TOPOLOGY[node] ?? [])
      if (!seen.has(next)) {
        seen.set(next, seen.get(node) + 1);
        queue.push(next);
      }
  }
  return null;
}

/**
 * The truth record of a recorded run: the scenario's origin, kind and evidence, plus the first
 * alert that fired after the onset on a service the fault can reach (one that calls the origin,
 * directly or not, or the origin itself) and its hops to the origin. `requests` are the
 * recording's, `faultAtMs` the fault's start (epoch ms).
 */
export function truthOf(scenario, requests, faultAtMs) {
  const firings = requests
    .filter(r => r.path.includes('/webhooks/'))
    .flatMap(r => r.body.alerts ?? [])
    .filter(alert => alert.status === 'firing' && alert.labels?.service);
  const { origin } = scenario.truth;
  const first = origin
    ? firings.find(
        alert =>
          Date.parse(alert.startsAt) >= faultAtMs &&
          hopsBetween(alert.labels.service, origin) !== null,
      )
    : firings[0];
  const firstAlertingService = first?.labels.service ?? null;
  return {
    fault: origin !== null,
    origin,
    kind: scenario.truth.kind,
    firstAlertingService,
    hops: hopsBetween(firstAlertingService, origin),
    evidence: scenario.truth.evidence,
  };
}
