// Synthetic telemetry for the frontend-dns-failure scenario (see scenario.json).
//
// -34 … -10 min: frontend's GET /cart calls cart and product-catalog, both in ~15 ms.
// -10 min … now: the cluster DNS (CoreDNS) is overloaded after its replicas were scaled to one:
// lookups of both services fail with "no such host" or time out after 5 s, so more than half of
// the carts fail (502). cart and product-catalog themselves are healthy.
import { noisy, simulateService } from '../lib/service.mjs';

export const TIMELINE = {
  trafficStartsMinutesAgo: 34,
  degradationStartsMinutesAgo: 10,
};

function dnsFailure(random, host) {
  return random.chance(0.6)
    ? {
        durationMs: random.between(1, 4),
        error: `dial tcp: lookup ${host} on 10.96.0.10:53: no such host`,
      }
    : {
        durationMs: 5_000 + random.between(0, 5),
        error: `dial tcp: lookup ${host} on 10.96.0.10:53: read udp 10.244.1.17:${random.int(
          30000,
          60000,
        )}->10.96.0.10:53: i/o timeout`,
      };
}

export function generateTelemetry({ nowMs, seed = 4105 }) {
  return simulateService({
    nowMs,
    seed,
    service: 'frontend',
    timeline: TIMELINE,
    operation: 'GET /cart',
    requestIntervalMs: 2_500,
    request: ({ random, degraded }) => {
      const calls = [];
      const logs = [];
      let error;
      for (const [peer, name] of [
        ['cart', 'GET /carts/{id}'],
        ['product-catalog', 'GET /products'],
      ]) {
        const host = `${peer}.shop.svc.cluster.local`;
        if (degraded && random.chance(peer === 'cart' ? 0.45 : 0.3)) {
          const failure = dnsFailure(random, host);
          calls.push({
            peer,
            name,
            ...failure,
            attributes: { 'server.address': host },
          });
          logs.push({
            level: 'ERROR',
            body: `request to ${peer} failed: Get "http://${host}:8080${
              name.split(' ')[1]
            }": ${failure.error}`,
            afterCall: calls.length - 1,
          });
          error = `upstream ${peer} unavailable`;
          break;
        }
        calls.push({
          peer,
          name,
          durationMs: random.between(8, 20),
          attributes: { 'server.address': host },
        });
      }
      return {
        selfMs: random.between(2, 5),
        calls,
        logs,
        error,
        httpStatus: error ? 502 : 200,
      };
    },
    metrics: [
      {
        name: 'process.cpu.utilization',
        value: ({ random }) => noisy(random, 0.25),
      },
    ],
  });
}
