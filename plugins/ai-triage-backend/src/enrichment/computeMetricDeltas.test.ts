import { MetricPoint } from '@ai-triage/plugin-ai-triage-node';
import { attachLimits, computeMetricDeltas } from './computeMetricDeltas';
import { RedactionTally, Redactor } from './redact';

function points(
  name: string,
  values: number[],
  attributes: Record<string, string> = {},
): MetricPoint[] {
  return values.map((value, i) => ({
    serviceName: 'checkout',
    name,
    timestampMs: i * 60_000,
    value,
    attributes,
  }));
}

describe('computeMetricDeltas', () => {
  it('compares window means in plain numbers, rises from zero first, no baseline last', () => {
    const deltas = computeMetricDeltas(
      [
        ...points('cpu', [0.5, 0.7]),
        ...points('errors', [4, 6]),
        ...points('latency', [0.2, 0.2]),
        ...points('new.metric', [1]),
      ],
      [
        ...points('cpu', [0.3, 0.3]),
        ...points('errors', [0, 0]),
        ...points('latency', [0.4, 0.4]),
      ],
    );
    expect(
      deltas.map(d => [d.id, d.baseline, d.current, d.change, d.changeRatio]),
    ).toEqual([
      ['metric:errors', 0, 5, 5, null],
      ['metric:cpu', 0.3, 0.6, 0.3, 1],
      ['metric:latency', 0.4, 0.2, -0.2, -0.5],
      ['metric:new.metric', null, 1, null, null],
    ]);
  });

  it('redacts attribute values, once per distinct value', () => {
    const tally: RedactionTally = {};
    const [delta] = computeMetricDeltas(
      points('http.client.duration', [1, 2], {
        'url.full': 'https://api.example/v1?token=abc123',
      }),
      points('http.client.duration', [1], {
        'url.full': 'https://api.example/v1?token=abc123',
      }),
      { redactor: Redactor.create(), tally },
    );
    expect(delta).toMatchObject({
      id: 'metric:http.client.duration{url.full=https://api.example/v1?token=[REDACTED]}',
      baseline: 1,
      current: 1.5,
    });
    expect(tally).toEqual({ 'secret-value': 1 });
  });
});

describe('attachLimits', () => {
  const delta = (
    metric: string,
    current: number,
    attributes: Record<string, string> = {},
    service?: string,
  ) => ({
    id: `metric:${metric}`,
    metric,
    attributes,
    baseline: null,
    current,
    changeRatio: null,
    ...(service ? { service } : {}),
  });

  it('reads a pool in use against its max and puts it first, with no baseline needed', () => {
    const result = attachLimits([
      delta('http.server.request.duration', 0.2),
      delta('db.client.connection.count', 10, { state: 'used' }),
      delta('db.client.connection.count', 0, { state: 'idle' }),
      delta('db.client.connection.max', 10),
      delta('db.client.connection.pending_requests', 12),
    ]);
    expect(result[0]).toMatchObject({
      metric: 'db.client.connection.count',
      attributes: { state: 'used' },
      limit: 10,
    });
    // Idle connections and waiting requests are not what the max bounds.
    expect(
      result.filter(d => d.limit !== undefined).map(d => d.metric),
    ).toEqual(['db.client.connection.count']);
  });

  it('reads memory against a limit of the same service only, and utilization against 1', () => {
    const result = attachLimits([
      delta('container_memory_working_set_bytes', 500, {}, 'a'),
      delta('container_spec_memory_limit_bytes', 512, {}, 'a'),
      delta('container_memory_working_set_bytes', 100, {}, 'b'),
      delta('k8s.container.cpu_limit_utilization', 0.99),
    ]);
    expect(result.map(d => [d.metric, d.service, d.limit])).toEqual([
      ['container_memory_working_set_bytes', 'a', 512],
      ['k8s.container.cpu_limit_utilization', undefined, 1],
      ['container_spec_memory_limit_bytes', 'a', undefined],
      ['container_memory_working_set_bytes', 'b', undefined],
    ]);
  });
});
