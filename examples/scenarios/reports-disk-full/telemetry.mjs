// Synthetic telemetry for the reports-disk-full scenario (see scenario.json).
//
// -34 … -10 min: POST /reports/export queries reports-db and writes a CSV to /var/data; the
// volume is ~93 % full and filling with exports nobody cleans up.
// -10 min … now: the volume is full: most exports fail with "no space left on device" (507).
// reports-db stays fast; CPU and memory are flat.
import { noisy, simulateService } from '../lib/service.mjs';

export const TIMELINE = {
  trafficStartsMinutesAgo: 34,
  degradationStartsMinutesAgo: 10,
};

const VOLUME = {
  'system.device': '/dev/nvme1n1',
  'system.filesystem.mountpoint': '/var/data',
};

export function generateTelemetry({ nowMs, seed = 4109 }) {
  return simulateService({
    nowMs,
    seed,
    service: 'reports',
    timeline: TIMELINE,
    operation: 'POST /reports/export',
    requestIntervalMs: 4_000,
    request: ({ random, degraded }) => {
      const id = random.int(100000, 999999);
      const query = {
        peer: 'reports-db',
        name: 'SELECT orders',
        durationMs: random.between(40, 90),
      };
      if (degraded && random.chance(0.65)) {
        const error = `write /var/data/exports/report-${id}.csv: no space left on device`;
        return {
          selfMs: random.between(5, 20),
          calls: [query],
          error,
          httpStatus: 507,
          logs: [{ level: 'ERROR', body: `export ${id} failed: ${error}` }],
        };
      }
      return {
        selfMs: random.between(30, 60),
        calls: [query],
        logs: [
          {
            level: 'INFO',
            body: `export ${id} written (${random.int(200, 900)} KiB)`,
          },
        ],
      };
    },
    metrics: [
      {
        name: 'system.filesystem.utilization',
        attributes: VOLUME,
        value: ({ random, degraded, minute }) =>
          degraded
            ? random.between(0.998, 1)
            : Math.min(0.99, 0.92 + minute * 0.0015),
      },
      {
        name: 'process.cpu.utilization',
        value: ({ random }) => noisy(random, 0.12),
      },
      {
        name: 'process.memory.usage',
        unit: 'By',
        value: ({ random }) => noisy(random, 210e6, 0.02),
      },
    ],
  });
}
