// Synthetic telemetry for the recommendations-cpu-throttling scenario (see scenario.json).
//
// -34 … -10 min: GET /recommendations takes ~50 ms, using ~45 % of the container's 500m CPU
// limit.
// -10 min … now: the hourly model refresh loads a larger ranking model that needs more CPU than
// the limit allows; the kernel throttles the container in most CFS periods, and every request
// takes 3-10 times longer in the service's own code. Redis stays fast; nothing fails.
import { noisy, simulateService } from '../lib/service.mjs';

export const TIMELINE = {
  trafficStartsMinutesAgo: 34,
  degradationStartsMinutesAgo: 10,
};

export function generateTelemetry({ nowMs, seed = 4106 }) {
  return simulateService({
    nowMs,
    seed,
    service: 'recommendations',
    timeline: TIMELINE,
    operation: 'GET /recommendations',
    requestIntervalMs: 2_000,
    request: ({ random, degraded }) => ({
      selfMs: degraded ? random.between(150, 600) : random.between(35, 60),
      calls: [
        { peer: 'redis', name: 'HGETALL', durationMs: random.between(1, 3) },
      ],
    }),
    metrics: [
      {
        name: 'k8s.container.cpu_limit_utilization',
        value: ({ random, degraded }) =>
          degraded ? random.between(0.97, 1) : noisy(random, 0.45),
      },
      {
        name: 'container.cpu.throttling_data.throttled_periods',
        unit: '{period}',
        value: ({ random, degraded }) =>
          degraded ? random.int(420, 580) : random.int(0, 3),
      },
      {
        name: 'process.memory.usage',
        unit: 'By',
        value: ({ random }) => noisy(random, 640e6, 0.02),
      },
    ],
  });
}
