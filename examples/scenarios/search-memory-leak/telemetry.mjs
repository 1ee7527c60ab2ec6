// Synthetic telemetry for the search-memory-leak scenario (see scenario.json).
//
// -34 … -24 min: search's old generation holds a steady ~420 MB of its 2 GB heap.
// -24 min on: a query-result cache without eviction grows the old generation ~75 MB a minute.
// -10 min … now: the heap is full; GC pauses slow GET /search, some requests die with
// OutOfMemoryError, and the kubelet kills and restarts the container (OOMKilled, back-off).
// OpenSearch, its only dependency, stays fast.
import { noisy, simulateService } from '../lib/service.mjs';

export const TIMELINE = {
  trafficStartsMinutesAgo: 34,
  degradationStartsMinutesAgo: 10,
};

const MB = 1024 * 1024;
const OOM = 'java.lang.OutOfMemoryError: Java heap space';

export function generateTelemetry({ nowMs, seed = 4103 }) {
  return simulateService({
    nowMs,
    seed,
    service: 'search',
    timeline: TIMELINE,
    operation: 'GET /search',
    requestIntervalMs: 2_500,
    request: ({ random, degraded }) => {
      const opensearch = {
        peer: 'opensearch',
        name: 'POST /products/_search',
        durationMs: random.between(12, 25),
      };
      if (!degraded) {
        return { selfMs: random.between(8, 15), calls: [opensearch] };
      }
      if (random.chance(0.1)) {
        return {
          selfMs: random.between(400, 1_200),
          calls: [opensearch],
          error: OOM,
          httpStatus: 503,
          logs: [
            {
              level: 'FATAL',
              body: `Exception in thread "http-nio-8080-exec-${random.int(
                1,
                40,
              )}" ${OOM}`,
            },
          ],
        };
      }
      // Stop-the-world GC pauses.
      return { selfMs: random.between(150, 900), calls: [opensearch] };
    },
    metrics: [
      {
        name: 'jvm.memory.used',
        unit: 'By',
        attributes: {
          'jvm.memory.pool.name': 'G1 Old Gen',
          'jvm.memory.type': 'heap',
        },
        value: ({ random, minute }) =>
          Math.min(
            1_990 * MB,
            noisy(random, 420 * MB, 0.02) + Math.max(0, minute - 10) * 75 * MB,
          ),
      },
      {
        name: 'jvm.gc.duration',
        unit: 's',
        attributes: { 'jvm.gc.name': 'G1 Old Generation' },
        value: ({ random, degraded }) =>
          degraded ? random.between(2.5, 6) : random.between(0.01, 0.03),
      },
      {
        name: 'k8s.container.restarts',
        unit: '{restart}',
        value: ({ degraded, minutesDegraded }) =>
          degraded ? Math.floor(minutesDegraded / 2.5) + 1 : 0,
      },
      {
        name: 'process.cpu.utilization',
        value: ({ random, degraded }) => noisy(random, degraded ? 0.55 : 0.35),
      },
    ],
    events: ({ degradedFromMs }) =>
      [0, 1, 2, 3].flatMap(n => {
        const at = degradedFromMs + n * 150_000 + 20_000;
        return [
          {
            timeMs: at,
            level: 'WARN',
            body: 'Memory cgroup out of memory: Killed process 1 (java), container search was OOMKilled',
            attributes: { 'k8s.event.reason': 'OOMKilling' },
          },
          {
            timeMs: at + 5_000,
            level: 'WARN',
            body: `Back-off restarting failed container search in pod search-6c9d7f-x2kq${n}`,
            attributes: { 'k8s.event.reason': 'BackOff' },
          },
          {
            timeMs: at + 15_000,
            level: 'INFO',
            body: 'Starting SearchApplication v3.4.1 using Java 21.0.5 with PID 1',
          },
        ];
      }),
  });
}
