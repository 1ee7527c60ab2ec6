import { HypothesisDraft } from '@ai-triage/plugin-ai-triage-common';
import { CaseOutcome, percentile, summarizeOutcomes } from './metrics';

const h = (service: string, probability: number): HypothesisDraft => ({
  rootCause: `${service} misbehaves`,
  affectedComponents: [service],
  confidence: 'low',
  probability,
  origin: service,
  reasoning: '',
  diagnosticSteps: [],
  evidenceIds: ['x'],
});

const outcome = (
  caseId: string,
  truth: CaseOutcome['truth'],
  hypotheses: HypothesisDraft[],
  extra: Partial<CaseOutcome> = {},
): CaseOutcome => ({
  caseId,
  truth,
  hypotheses,
  insufficientEvidence: false,
  latencyMs: 10,
  tokensIn: null,
  tokensOut: null,
  ...extra,
});

describe('summarizeOutcomes', () => {
  // Forecasts (probability, right?): (0.9,1) (0.3,0) (0.8,0) (0.5,1) (0.1,0) (0.7,0);
  // the rejected case's second hypothesis names another service: its outcome is unknown.
  const outcomes = [
    outcome('a', { type: 'cause', service: 'payments', keywords: [] }, [
      h('payments', 0.9),
      h('db', 0.3),
    ]),
    outcome(
      'b',
      { type: 'cause', service: 'checkout', keywords: [] },
      [h('payments', 0.8), h('checkout', 0.5)],
      { latencyMs: 30, tokensIn: 1000, tokensOut: 100 },
    ),
    outcome('c', { type: 'no-cause' }, [], {
      insufficientEvidence: true,
      latencyMs: 20,
      tokensIn: 3000,
      tokensOut: 300,
    }),
    outcome('d', { type: 'no-cause' }, [h('cache', 0.1)], { latencyMs: 40 }),
    outcome(
      'e',
      { type: 'not', service: 'payments' },
      [h('payments', 0.7), h('db', 0.2)],
      { latencyMs: 50 },
    ),
  ];

  it('scores accuracy, abstentions, Brier score and the reliability bins exactly', () => {
    const s = summarizeOutcomes(outcomes, {
      inputPerMillion: 2,
      outputPerMillion: 10,
    });
    expect(s.cases).toBe(5);
    expect(s.causeCases).toBe(2);
    expect(s.top1).toBe(0.5);
    expect(s.top3).toBe(1);
    expect(s.abstentionRate).toBe(0.4);
    expect(s.abstentionAccuracy).toBe(1);
    // (0.01 + 0.09 + 0.64 + 0.25 + 0.01 + 0.49) / 6
    expect(s.brier).toBeCloseTo(1.49 / 6, 12);
    expect(
      s.reliability.map(b => [b.count, b.meanProbability, b.observed]),
    ).toEqual([
      [1, 0.1, 0],
      [1, 0.3, 0],
      [1, 0.5, 1],
      [1, 0.7, 0],
      [2, expect.closeTo(0.85, 12), 0.5],
    ]);
    // (0.1 + 0.3 + 0.5 + 0.7 + 2 * 0.35) / 6
    expect(s.ece).toBeCloseTo(2.3 / 6, 12);
    expect(s.latencyP50Ms).toBe(30);
    expect(s.latencyP95Ms).toBe(50);
    // Tokens average over the cases that called a model: (1000 + 3000) / 2, (100 + 300) / 2.
    expect(s.tokensInPerCase).toBe(2000);
    expect(s.tokensOutPerCase).toBe(200);
    expect(s.costPerCase).toBeCloseTo((2000 * 2 + 200 * 10) / 1e6, 12);
  });

  it('counts a keyword miss on the right service as wrong', () => {
    const s = summarizeOutcomes([
      outcome(
        'a',
        { type: 'cause', service: 'payments', keywords: ['deploy'] },
        [h('payments', 0.6)],
      ),
    ]);
    expect(s.top1).toBe(0);
    expect(s.brier).toBeCloseTo(0.36, 12);
  });

  it('leaves every metric empty without outcomes', () => {
    const s = summarizeOutcomes([]);
    expect([s.top1, s.brier, s.ece, s.latencyP50Ms]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect(percentile([5, 1, 3], 50)).toBe(3);
  });
});
