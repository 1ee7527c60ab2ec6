// Synthetic telemetry for the shipping-rate-limited scenario (see scenario.json).
//
// -34 … -10 min: shipping asks the carrier's rate API (carrier-api) for a quote in ~120 ms.
// -10 min … now: the carrier enforces a lower per-account rate limit: about 40 % of calls get
// 429 Too Many Requests; shipping retries once after 250 ms and then gives up with 503. The
// shipping-db stays fast.
import { noisy, simulateService } from '../lib/service.mjs';

export const TIMELINE = {
  trafficStartsMinutesAgo: 34,
  degradationStartsMinutesAgo: 10,
};

const HOST = 'api.carrier.example';

export function generateTelemetry({ nowMs, seed = 4107 }) {
  return simulateService({
    nowMs,
    seed,
    service: 'shipping',
    timeline: TIMELINE,
    operation: 'POST /shipping/quote',
    requestIntervalMs: 3_000,
    request: ({ random, degraded }) => {
      const zones = {
        peer: 'shipping-db',
        name: 'SELECT zones',
        durationMs: random.between(2, 5),
      };
      const ok = () => ({
        peer: 'carrier-api',
        name: 'POST /v1/rates',
        durationMs: random.between(90, 160),
        attributes: {
          'server.address': HOST,
          'http.response.status_code': 200,
        },
      });
      const limited = () => ({
        peer: 'carrier-api',
        name: 'POST /v1/rates',
        durationMs: random.between(15, 30),
        error: '429 Too Many Requests',
        attributes: {
          'server.address': HOST,
          'http.response.status_code': 429,
        },
      });
      if (degraded && random.chance(0.4)) {
        const order = `ord-${random.int(10000, 99999)}`;
        return {
          selfMs: random.between(2, 4),
          calls: [
            zones,
            limited(),
            { ...limited(), durationMs: 250 + random.between(15, 30) },
          ],
          error: 'carrier quote unavailable',
          httpStatus: 503,
          logs: [
            {
              level: 'WARN',
              body: `carrier-api rate limited quote request (429 Too Many Requests), retry-after ${random.int(
                10,
                30,
              )}s`,
              afterCall: 1,
            },
            {
              level: 'ERROR',
              body: `shipping quote for order ${order} failed: carrier-api answered 429 Too Many Requests after 1 retry`,
            },
          ],
        };
      }
      return {
        selfMs: random.between(2, 4),
        calls: [zones, ok()],
        logs: [
          { level: 'INFO', body: `quote ${random.int(100000, 999999)} issued` },
        ],
      };
    },
    metrics: [
      {
        name: 'process.cpu.utilization',
        value: ({ random }) => noisy(random, 0.2),
      },
    ],
  });
}
