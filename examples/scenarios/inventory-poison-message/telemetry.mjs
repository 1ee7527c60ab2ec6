// Synthetic telemetry for the inventory-poison-message scenario (see scenario.json).
//
// -34 … -10 min: inventory consumes the orders topic, reserving stock in inventory-db; its
// consumer lag stays under 20 messages.
// -10 min … now: a producer bug published an HTML error page as an order at offset 88231; every
// attempt to process it fails to deserialize, the consumer retries it forever and the lag grows
// by ~400 messages a minute. inventory-db is healthy.
import { noisy, simulateService } from '../lib/service.mjs';

export const TIMELINE = {
  trafficStartsMinutesAgo: 34,
  degradationStartsMinutesAgo: 10,
};

const ERROR =
  'Failed to deserialize message at offset 88231 from topic orders partition 3: Unexpected token \'<\', "<!DOCTYPE html>" is not valid JSON';

export function generateTelemetry({ nowMs, seed = 4108 }) {
  return simulateService({
    nowMs,
    seed,
    service: 'inventory',
    timeline: TIMELINE,
    operation: 'orders process',
    kind: 'consumer',
    requestIntervalMs: 2_000,
    request: ({ random, degraded }) =>
      degraded
        ? {
            selfMs: random.between(1, 3),
            error: ERROR,
            logs: [{ level: 'ERROR', body: `${ERROR}; retrying in 500 ms` }],
          }
        : {
            selfMs: random.between(1, 3),
            calls: [
              {
                peer: 'inventory-db',
                name: 'UPDATE stock',
                durationMs: random.between(3, 8),
              },
            ],
            logs: [
              {
                level: 'INFO',
                body: `reserved ${random.int(
                  1,
                  5,
                )} items for order ord-${random.int(10000, 99999)}`,
              },
            ],
          },
    metrics: [
      {
        name: 'messaging.kafka.consumer.lag',
        unit: '{message}',
        attributes: {
          'messaging.destination.name': 'orders',
          'messaging.consumer.group.name': 'inventory',
        },
        value: ({ random, degraded, minutesDegraded }) =>
          degraded
            ? 30 + minutesDegraded * 400 + random.int(0, 20)
            : random.int(2, 18),
      },
      {
        name: 'process.cpu.utilization',
        value: ({ random }) => noisy(random, 0.15),
      },
    ],
  });
}
