import { MetricPoint } from '@ai-triage/plugin-ai-triage-node';
import { computeMetricDeltas } from './computeMetricDeltas';
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
