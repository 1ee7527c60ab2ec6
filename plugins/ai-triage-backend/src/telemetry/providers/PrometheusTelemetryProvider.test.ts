import { MetricPoint, TelemetryQuery } from '@ai-triage/plugin-ai-triage-node';
import {
  RunningPrometheus,
  prometheusInstalled,
  startPrometheusWith,
} from '../../__testUtils__/prometheus';
import { PrometheusTelemetryProvider } from './PrometheusTelemetryProvider';

jest.setTimeout(120_000);

const MINUTE = 60_000;
const BUCKETS = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];

/**
 * Forty minutes of a checkout service as OpenTelemetry's semantic conventions name it in
 * Prometheus, in OpenMetrics text for promtool: 10 requests a second, 1% failing and all under
 * 100 ms until 15 minutes ago, then 20% failing and half of them between 0.5 and 1 s; CPU from
 * 0.2 to 0.9 cores, memory from 100 to 300 MB, two container restarts. A payments service beside
 * it always fails half its requests (so a wrong selector shows).
 */
function checkoutIncident(nowMs: number): string {
  const incidentStart = nowMs - 15 * MINUTE;
  const times: number[] = [];
  for (let t = nowMs - 40 * MINUTE; t <= nowMs; t += 15_000) times.push(t);
  const lines: string[] = [];

  lines.push('# TYPE http_server_request_duration_seconds histogram');
  for (const [service, job] of [
    ['checkout', 'shop/checkout'],
    ['payments', 'shop/payments'],
  ]) {
    for (const status of ['200', '500']) {
      const labels = `service_name="${service}",job="${job}",http_response_status_code="${status}"`;
      const buckets = BUCKETS.map(() => 0);
      let count = 0;
      let sum = 0;
      for (const t of times) {
        const incident = t >= incidentStart;
        let errorShare = incident ? 0.2 : 0.01;
        if (service === 'payments') errorShare = 0.5;
        const n = 150 * (status === '500' ? errorShare : 1 - errorShare);
        const slow = incident && service === 'checkout' ? n / 2 : 0;
        // fast requests take 0.08 s (bucket 0.1), slow ones 0.8 s (bucket 1)
        BUCKETS.forEach((le, i) => {
          const bound = le === '+Inf' ? Infinity : Number(le);
          buckets[i] +=
            (bound >= 0.08 ? n - slow : 0) + (bound >= 0.8 ? slow : 0);
        });
        count += n;
        sum += (n - slow) * 0.08 + slow * 0.8;
        const ts = (t / 1000).toFixed(3);
        BUCKETS.forEach((le, i) =>
          lines.push(
            `http_server_request_duration_seconds_bucket{${labels},le="${le}"} ${buckets[i]} ${ts}`,
          ),
        );
        lines.push(
          `http_server_request_duration_seconds_count{${labels}} ${count} ${ts}`,
        );
        lines.push(
          `http_server_request_duration_seconds_sum{${labels}} ${sum} ${ts}`,
        );
      }
    }
  }

  const checkout = 'service_name="checkout",job="shop/checkout"';
  lines.push('# TYPE process_cpu_time_seconds counter');
  let cpu = 0;
  for (const t of times) {
    cpu += 15 * (t >= incidentStart ? 0.9 : 0.2);
    lines.push(
      `process_cpu_time_seconds_total{${checkout}} ${cpu} ${(t / 1000).toFixed(
        3,
      )}`,
    );
  }
  lines.push('# TYPE process_memory_usage_bytes gauge');
  for (const t of times) {
    lines.push(
      `process_memory_usage_bytes{${checkout}} ${
        t >= incidentStart ? 3e8 : 1e8
      } ${(t / 1000).toFixed(3)}`,
    );
  }
  lines.push('# TYPE k8s_container_restarts gauge');
  for (const t of times) {
    const restarts =
      (t >= nowMs - 10 * MINUTE ? 1 : 0) + (t >= nowMs - 5 * MINUTE ? 1 : 0);
    lines.push(
      `k8s_container_restarts{${checkout}} ${restarts} ${(t / 1000).toFixed(
        3,
      )}`,
    );
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

function mean(points: MetricPoint[], name: string): number {
  const values = points.filter(p => p.name === name).map(p => p.value);
  if (values.length === 0) throw new Error(`no points of ${name}`);
  return values.reduce((a, b) => a + b, 0) / values.length;
}

const describeWithPrometheus = prometheusInstalled() ? describe : describe.skip;

describeWithPrometheus(
  'PrometheusTelemetryProvider against a real Prometheus',
  () => {
    const nowMs = Math.floor(Date.now() / 1000) * 1000;
    let prometheus: RunningPrometheus;
    const signal = new AbortController().signal;
    const incidentWindow = { fromMs: nowMs - 15 * MINUTE, toMs: nowMs };
    const baselineWindow = {
      fromMs: nowMs - 30 * MINUTE,
      toMs: nowMs - 15 * MINUTE,
    };

    beforeAll(async () => {
      prometheus = await startPrometheusWith(checkoutIncident(nowMs));
    });
    afterAll(async () => {
      await prometheus?.stop();
    });

    function provider(options: { queries?: Record<string, string> } = {}) {
      return PrometheusTelemetryProvider.create({
        name: 'prometheus',
        endpoint: { baseUrl: prometheus.url, headers: {} },
        ...options,
      });
    }

    function query(
      window: { fromMs: number; toMs: number },
      extra: Partial<TelemetryQuery> = {},
    ): TelemetryQuery {
      return { serviceName: 'checkout', ...window, limit: 5000, ...extra };
    }

    it('reads the error ratio, latency quantiles, saturation and restarts of the incident against its baseline', async () => {
      const current = await provider().fetch(query(incidentWindow), { signal });
      const baseline = await provider().fetch(query(baselineWindow), {
        signal,
      });

      expect(current.missing).toEqual([]);
      expect(current.truncated).toEqual([]);
      const now = current.metrics!;
      const before = baseline.metrics!;
      expect(now.every(p => p.serviceName === 'checkout')).toBe(true);
      expect(new Set(now.map(p => p.name))).toEqual(
        new Set([
          'http.server.request.rate',
          'http.server.error_ratio',
          'http.server.request.duration.p50',
          'http.server.request.duration.p95',
          'http.server.request.duration.p99',
          'process.cpu.utilization',
          'process.memory.usage',
          'k8s.container.restarts',
        ]),
      );

      expect(mean(before, 'http.server.request.rate')).toBeCloseTo(10, 0);
      expect(mean(before, 'http.server.error_ratio')).toBeCloseTo(0.01, 2);
      expect(mean(now, 'http.server.error_ratio')).toBeGreaterThan(0.15);
      expect(mean(now, 'http.server.error_ratio')).toBeLessThanOrEqual(0.2001);
      // The baseline's last rate() windows reach the first incident samples: a little above 0.0975.
      expect(mean(before, 'http.server.request.duration.p95')).toBeLessThan(
        0.15,
      );
      expect(mean(now, 'http.server.request.duration.p95')).toBeGreaterThan(
        0.5,
      );
      expect(mean(before, 'process.cpu.utilization')).toBeCloseTo(0.2, 1);
      expect(mean(now, 'process.cpu.utilization')).toBeGreaterThan(0.7);
      expect(mean(before, 'process.memory.usage')).toBe(1e8);
      expect(mean(now, 'process.memory.usage')).toBeGreaterThan(2.5e8);
      expect(
        Math.max(
          ...before
            .filter(p => p.name === 'k8s.container.restarts')
            .map(p => p.value),
        ),
      ).toBe(0);
      expect(
        Math.max(
          ...now
            .filter(p => p.name === 'k8s.container.restarts')
            .map(p => p.value),
        ),
      ).toBeGreaterThanOrEqual(1);
      // Points come oldest first and inside the window.
      const times = now.map(p => p.timestampMs);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(Math.min(...times)).toBeGreaterThanOrEqual(incidentWindow.fromMs);
    });

    it("selects the entity's series by its annotation instead of service_name", async () => {
      const byJob = await provider().fetch(
        query(baselineWindow, {
          serviceName: 'not-the-label',
          entity: {
            ref: 'component:default/checkout',
            annotations: {
              'ai-triage.io/prometheus-selector': 'job="shop/payments"',
            },
          },
        }),
        { signal },
      );
      expect(mean(byJob.metrics!, 'http.server.error_ratio')).toBeCloseTo(
        0.5,
        2,
      );

      const unknown = await provider().fetch(
        query(baselineWindow, { serviceName: 'inventory' }),
        { signal },
      );
      expect(unknown.metrics).toEqual([]);
      expect(unknown.missing).toEqual([]);
    });

    it('names a failing query in missing and keeps the others; replaces queries from config', async () => {
      const result = await provider({
        queries: {
          'http.server.request.rate': '',
          'broken.query': 'sum(rate(',
          'http.server.request.duration.mean':
            'sum(rate(http_server_request_duration_seconds_sum{$selector}[$window])) / sum(rate(http_server_request_duration_seconds_count{$selector}[$window]))',
        },
      }).fetch(query(baselineWindow), { signal });

      expect(result.missing).toHaveLength(1);
      expect(result.missing![0]).toMatch(
        /^prometheus: query broken\.query failed: GET \/api\/v1\/query_range answered 400 Bad Request: .*parse error/,
      );
      const names = new Set(result.metrics!.map(p => p.name));
      expect(names.has('http.server.request.rate')).toBe(false);
      expect(
        mean(result.metrics!, 'http.server.request.duration.mean'),
      ).toBeCloseTo(0.08, 2);
    });

    it('keeps the newest points within the limit and says metrics were truncated', async () => {
      const result = await provider().fetch(
        query(incidentWindow, { limit: 10 }),
        {
          signal,
        },
      );
      expect(result.metrics).toHaveLength(10);
      expect(result.truncated).toEqual(['metrics']);
    });

    it('fails as a whole when Prometheus cannot be reached', async () => {
      const unreachable = PrometheusTelemetryProvider.create({
        name: 'prometheus',
        endpoint: { baseUrl: 'http://127.0.0.1:9', headers: {} },
      });
      await expect(
        unreachable.fetch(query(incidentWindow), { signal }),
      ).rejects.toThrow(/every query failed/);
    });
  },
);
