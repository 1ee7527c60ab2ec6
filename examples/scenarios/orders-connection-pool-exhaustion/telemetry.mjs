// Synthetic telemetry for the orders-connection-pool-exhaustion scenario (see scenario.json).
//
// -34 … -10 min: POST /orders takes ~25 ms; 3-5 of its 10 pooled orders-db connections are busy.
// -10 min … now: a nightly export job in the same process holds 8 connections for minutes, so
// requests wait up to the pool's 1000 ms acquire timeout before their (still fast) INSERT; about
// one in five gives up with HikariCP's "Connection is not available" and answers 500.
import { noisy, simulateService } from '../lib/service.mjs';

export const TIMELINE = {
  trafficStartsMinutesAgo: 34,
  degradationStartsMinutesAgo: 10,
};

const POOL = { 'db.client.connection.pool.name': 'HikariPool-1' };

export function generateTelemetry({ nowMs, seed = 4101 }) {
  return simulateService({
    nowMs,
    seed,
    service: 'orders',
    timeline: TIMELINE,
    operation: 'POST /orders',
    requestIntervalMs: 3_000,
    request: ({ random, degraded }) => {
      const inventory = {
        peer: 'inventory',
        name: 'POST /inventory/reserve',
        durationMs: random.between(8, 16),
      };
      if (!degraded) {
        return {
          selfMs: random.between(2, 5),
          calls: [
            inventory,
            {
              peer: 'orders-db',
              name: 'INSERT orders',
              durationMs: random.between(3, 8),
            },
          ],
          logs: [
            {
              level: 'INFO',
              body: `order ord-${random.int(10000, 99999)} created`,
            },
          ],
        };
      }
      if (random.chance(0.2)) {
        return {
          selfMs: 1_000 + random.between(1, 4),
          calls: [inventory],
          error:
            'HikariPool-1 - Connection is not available, request timed out after 1000ms.',
          logs: [
            {
              level: 'ERROR',
              body: 'HikariPool-1 - Connection is not available, request timed out after 1000ms.',
            },
          ],
        };
      }
      return {
        selfMs: random.between(300, 950),
        calls: [
          inventory,
          {
            peer: 'orders-db',
            name: 'INSERT orders',
            durationMs: random.between(3, 9),
          },
        ],
        logs: [
          {
            level: 'INFO',
            body: `order ord-${random.int(10000, 99999)} created`,
          },
        ],
      };
    },
    metrics: [
      {
        name: 'db.client.connection.count',
        unit: '{connection}',
        attributes: { ...POOL, 'db.client.connection.state': 'used' },
        value: ({ random, degraded }) => (degraded ? 10 : random.int(3, 5)),
      },
      {
        name: 'db.client.connection.count',
        unit: '{connection}',
        attributes: { ...POOL, 'db.client.connection.state': 'idle' },
        value: ({ random, degraded }) => (degraded ? 0 : random.int(5, 7)),
      },
      {
        name: 'db.client.connection.pending_requests',
        unit: '{request}',
        attributes: POOL,
        value: ({ random, degraded }) => (degraded ? random.int(12, 30) : 0),
      },
      {
        name: 'process.cpu.utilization',
        value: ({ random }) => noisy(random, 0.22),
      },
    ],
    events: ({ degradedFromMs }) => [
      {
        timeMs: degradedFromMs - 5_000,
        level: 'INFO',
        body: 'export job nightly-orders-export started (batch size 50000)',
      },
    ],
  });
}
