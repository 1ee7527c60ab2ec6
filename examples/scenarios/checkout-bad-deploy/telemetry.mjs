// Synthetic telemetry for the checkout-bad-deploy scenario (see scenario.json).
//
// -34 … -10 min: checkout 2.7.3 serves POST /checkout in ~60 ms.
// -10 min: Kubernetes rolls out checkout 2.8.0 (its events are collected as logs; its spans and
// logs carry service.version 2.8.0 from then on, 2.7.3 before).
// -10 min … now: 2.8.0 crashes on orders whose cart has a gift card (about 30 %) with a
// TypeError and answers 500; payments and inventory stay healthy and fast.
import { noisy, simulateService } from '../lib/service.mjs';

export const TIMELINE = {
  trafficStartsMinutesAgo: 34,
  degradationStartsMinutesAgo: 10,
};

const ERROR =
  "TypeError: Cannot read properties of undefined (reading 'currency') at applyGiftCard (/app/dist/pricing.js:88:31)";

export function generateTelemetry({ nowMs, seed = 4102 }) {
  return simulateService({
    nowMs,
    seed,
    service: 'checkout',
    timeline: TIMELINE,
    operation: 'POST /checkout',
    // The new pods report the new version from their first request on.
    deploy: {
      from: '2.7.3',
      to: '2.8.0',
      atMs: degradedFromMs => degradedFromMs - 2_000,
    },
    requestIntervalMs: 3_000,
    request: ({ random, degraded }) => {
      const inventory = {
        peer: 'inventory',
        name: 'POST /inventory/reserve',
        durationMs: random.between(10, 18),
      };
      if (degraded && random.chance(0.3)) {
        return {
          selfMs: random.between(3, 6),
          calls: [inventory],
          error: ERROR,
          logs: [
            {
              level: 'ERROR',
              body: `unhandled error in POST /checkout: ${ERROR}`,
            },
          ],
        };
      }
      return {
        selfMs: random.between(3, 6),
        calls: [
          inventory,
          {
            peer: 'payments',
            name: 'POST /payments/charge',
            durationMs: random.between(30, 45),
          },
        ],
        logs: [
          {
            level: 'INFO',
            body: `order ord-${random.int(10000, 99999)} placed`,
          },
        ],
      };
    },
    metrics: [
      {
        name: 'process.cpu.utilization',
        value: ({ random }) => noisy(random, 0.3),
      },
      {
        name: 'process.memory.usage',
        unit: 'By',
        value: ({ random }) => noisy(random, 310e6, 0.03),
      },
    ],
    events: ({ degradedFromMs }) => [
      {
        timeMs: degradedFromMs - 40_000,
        level: 'INFO',
        body: 'Scaled up replica set checkout-7d9f8c6b5 to 1',
        attributes: { 'k8s.event.reason': 'ScalingReplicaSet' },
      },
      ...[0, 1, 2].map(pod => ({
        timeMs: degradedFromMs - 30_000 + pod * 12_000,
        level: 'INFO',
        body: `Successfully pulled image "registry.shop.example/checkout:2.8.0" in 1.2s`,
        attributes: { 'k8s.event.reason': 'Pulled' },
      })),
      {
        timeMs: degradedFromMs - 2_000,
        level: 'INFO',
        body: 'Deployment checkout rolled out: 3 of 3 replicas updated to revision 42 (image checkout:2.8.0)',
        attributes: { 'k8s.event.reason': 'DeploymentRollout' },
      },
    ],
  });
}
