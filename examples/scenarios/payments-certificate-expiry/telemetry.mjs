// Synthetic telemetry for the payments-certificate-expiry scenario (see scenario.json).
//
// -34 … -10 min: payments charges cards through the card-gateway API in ~150 ms.
// -10 min … now: card-gateway's TLS certificate has expired; every TLS handshake fails within
// ~20 ms with "x509: certificate has expired", so every charge fails (502). payments-db is fine.
import { noisy, simulateService } from '../lib/service.mjs';

export const TIMELINE = {
  trafficStartsMinutesAgo: 34,
  degradationStartsMinutesAgo: 10,
};

const TLS_ERROR =
  'tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-01-15T11:50:03Z is after 2026-01-15T11:50:00Z';

export function generateTelemetry({ nowMs, seed = 4104 }) {
  return simulateService({
    nowMs,
    seed,
    service: 'payments',
    timeline: TIMELINE,
    operation: 'POST /payments/charge',
    requestIntervalMs: 3_000,
    request: ({ random, degraded }) => {
      const order = `ord-${random.int(10000, 99999)}`;
      const lookup = {
        peer: 'payments-db',
        name: 'SELECT payment_methods',
        durationMs: random.between(2, 6),
      };
      if (degraded) {
        return {
          selfMs: random.between(2, 4),
          calls: [
            lookup,
            {
              peer: 'card-gateway',
              name: 'POST /v2/charges',
              durationMs: random.between(12, 28),
              error: TLS_ERROR,
              attributes: {
                'server.address': 'api.cardgateway.example',
                'error.type': 'tls',
              },
            },
          ],
          error: 'charge failed: card-gateway unreachable',
          httpStatus: 502,
          logs: [
            {
              level: 'ERROR',
              body: `charge for order ${order} failed: Post "https://api.cardgateway.example/v2/charges": ${TLS_ERROR}`,
            },
          ],
        };
      }
      return {
        selfMs: random.between(2, 4),
        calls: [
          lookup,
          {
            peer: 'card-gateway',
            name: 'POST /v2/charges',
            durationMs: random.between(110, 190),
            attributes: { 'server.address': 'api.cardgateway.example' },
          },
          {
            peer: 'payments-db',
            name: 'INSERT charges',
            durationMs: random.between(3, 7),
          },
        ],
        logs: [{ level: 'INFO', body: `charge for order ${order} captured` }],
      };
    },
    metrics: [
      {
        name: 'process.cpu.utilization',
        value: ({ random }) => noisy(random, 0.18),
      },
    ],
  });
}
