import {
  MISSING_BASELINE_PROBABILITY_CAP,
  MetricDelta,
} from '@ai-triage/plugin-ai-triage-common';
import { MetricPoint } from '@ai-triage/plugin-ai-triage-node';
import {
  attachLimits,
  computeMetricDeltas,
  metricAnomalyScore,
} from '../../enrichment/computeMetricDeltas';
import {
  testContext,
  testOnset,
  testTemplate,
} from '../../__testUtils__/contexts';
import { groundHypotheses } from '../groundHypotheses';
import { HeuristicReasoner } from './HeuristicReasoner';

const reasoner = new HeuristicReasoner();
const POOL = 'db.client.connection.count';
const USED = { 'db.client.connection.state': 'used' };

function points(
  name: string,
  values: number[],
  attributes: Record<string, string> = {},
  fromMs = 0,
): MetricPoint[] {
  return values.map((value, i) => ({
    serviceName: 'inventory',
    name,
    timestampMs: fromMs + i * 15_000,
    value,
    attributes,
  }));
}

/** The pool's deltas (in use, and its maximum of 8) from baseline and incident points. */
function poolDeltas(baseline: number[], current: number[]): MetricDelta[] {
  return attachLimits(
    computeMetricDeltas(
      [
        ...points(POOL, current, USED, 600_000),
        ...points(
          'db.client.connection.max',
          current.map(() => 8),
          {},
          600_000,
        ),
      ],
      [
        ...points(POOL, baseline, USED),
        ...points(
          'db.client.connection.max',
          baseline.map(() => 8),
        ),
      ],
    ),
  );
}

describe('metricAnomalyScore (median and MAD of the baseline points, as BARO)', () => {
  it('scores a value against the spread of the baseline, signed', () => {
    // median 4, MAD 2 -> scale 2.97: 8 is 1.35 scaled MADs above, 0 is 1.35 below.
    expect(metricAnomalyScore([2, 8, 4, 6, 1, 4, 3], 8)).toBeCloseTo(1.35, 2);
    expect(metricAnomalyScore([2, 8, 4, 6, 1, 4, 3], 0)).toBeCloseTo(-1.35, 2);
  });

  it('floors the noise of a constant series at 5 % of its level, and at one unit for whole numbers', () => {
    // 100.5 constant: 5 % of 110 is 5.5, so 110 scores 1.73 (jitter, not a rise).
    expect(metricAnomalyScore([100.5, 100.5, 100.5], 110)).toBeCloseTo(
      (110 - 100.5) / 5.5,
      2,
    );
    // A count of 0 cannot tell noise under 1: one pending request is no anomaly, six are.
    expect(metricAnomalyScore([0, 0, 0, 0], 1)).toBe(1);
    expect(metricAnomalyScore([0, 0, 0, 0], 6)).toBe(6);
  });

  it('has no score with fewer than 3 baseline points', () => {
    expect(metricAnomalyScore([1, 2], 8)).toBeNull();
    const [delta] = computeMetricDeltas(points(POOL, [8]), points(POOL, [1]));
    expect(delta.anomalyScore).toBeNull();
  });
});

describe('metric evidence against the baseline noise', () => {
  it('does not read a pool at its limit as the cause when the baseline already ran it full', async () => {
    // A loaded machine: the pool swings between 1 and 8 in use before the onset.
    const deltas = poolDeltas([2, 8, 4, 6, 1, 8, 3, 4], [8, 8, 8]);
    const used = deltas.find(d => d.metric === POOL)!;
    expect(used.limit).toBe(8);
    expect(used.anomalyScore).toBeLessThan(3);
    const answer = await reasoner.reason(
      testContext({
        serviceName: 'inventory',
        onset: testOnset(),
        metricDeltas: deltas,
      }),
    );
    expect(answer.hypotheses.filter(h => h.kind === 'resource-wait')).toEqual(
      [],
    );
  });

  it('still reads the same pool at its limit as the cause after a quiet baseline', async () => {
    const deltas = poolDeltas([2, 3, 2, 2, 3, 2, 2, 3], [8, 8, 8]);
    expect(deltas.find(d => d.metric === POOL)!.anomalyScore).toBeGreaterThan(
      3,
    );
    const answer = await reasoner.reason(
      testContext({
        serviceName: 'inventory',
        onset: testOnset(),
        metricDeltas: deltas,
      }),
    );
    expect(answer.hypotheses[0].kind).toBe('resource-wait');
    expect(answer.hypotheses[0].probability).toBeGreaterThanOrEqual(0.4);
  });
});

describe('near a limit without a baseline', () => {
  const utilization: MetricDelta = {
    id: 'metric:nodejs.eventloop.utilization',
    metric: 'nodejs.eventloop.utilization',
    attributes: {},
    baseline: 0.53,
    current: 0.99,
    changeRatio: 0.87,
    change: 0.46,
    limit: 1,
    anomalyScore: null,
  };
  const shortBaseline = testOnset({
    baselineMinutes: 0.26,
    baselineSufficient: false,
  });

  it('is a lead under the missing-baseline cap when nothing else shows the resource ran out', async () => {
    const answer = await reasoner.reason(
      testContext({
        serviceName: 'inventory',
        onset: shortBaseline,
        metricDeltas: [utilization],
      }),
    );
    for (const h of answer.hypotheses) {
      expect(h.probability).toBeLessThanOrEqual(
        MISSING_BASELINE_PROBABILITY_CAP,
      );
    }
  });

  it('holds without a baseline when errors name the exhausted resource', async () => {
    const heap: MetricDelta = {
      id: 'metric:container.memory.usage',
      metric: 'container.memory.usage',
      attributes: {},
      baseline: null,
      current: 990,
      changeRatio: null,
      change: null,
      limit: 1000,
      anomalyScore: null,
    };
    const answer = await reasoner.reason(
      testContext({
        serviceName: 'inventory',
        onset: shortBaseline,
        metricDeltas: [heap],
        logTemplates: [
          testTemplate(
            'oom',
            'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
            { count: 3 },
          ),
        ],
      }),
    );
    expect(answer.hypotheses[0].kind).toBe('saturation');
    expect(answer.hypotheses[0].probability).toBeGreaterThan(
      MISSING_BASELINE_PROBABILITY_CAP,
    );
  });
});

describe('groundHypotheses (any reasoner) with a metric within its baseline noise', () => {
  it('caps a hypothesis resting on a near-limit metric within the noise when the baseline is short', () => {
    const pool: MetricDelta = {
      id: 'metric:db.client.connection.count',
      metric: POOL,
      attributes: {},
      baseline: 7,
      current: 8,
      changeRatio: 0.14,
      change: 1,
      limit: 8,
      anomalyScore: 0.7,
    };
    const context = testContext({
      serviceName: 'inventory',
      onset: testOnset({ baselineMinutes: 0.5, baselineSufficient: false }),
      metricDeltas: [pool],
    });
    const answer = (anomalyScore: number) =>
      groundHypotheses(
        {
          hypotheses: [
            {
              rootCause: "inventory's connection pool is exhausted",
              affectedComponents: ['inventory'],
              confidence: 'high',
              probability: 0.8,
              reasoning: 'The pool is at its limit.',
              diagnosticSteps: ['Check the pool.'],
              evidenceIds: [pool.id],
              kind: 'resource-wait',
              origin: 'inventory',
            },
          ],
          insufficientEvidence: false,
        },
        { ...context, metricDeltas: [{ ...pool, anomalyScore }] },
      ).hypotheses[0].probability;
    expect(answer(0.7)).toBe(MISSING_BASELINE_PROBABILITY_CAP);
    // Out of the noise, near its limit is evidence without a sufficient baseline.
    expect(answer(12)).toBe(0.8);
  });
});
