import { ConfigReader } from '@backstage/config';
import { TRIAGE_CASE_VERSION } from '@ai-triage/plugin-ai-triage-common';
import { slowPaymentsContext } from '../__testUtils__/contexts';
import { FakeChatCompletionsServer } from '../reasoning/__testUtils__/FakeChatCompletionsServer';
import { CaseReplayer } from './CaseReplayer';
import { CalibrationBin, calibrationMap, countBins } from './calibration';

const bin = (b: number, reviews: number, accepted: number): CalibrationBin => ({
  reasoner: 'openai',
  family: 'latency',
  bin: b,
  reviews,
  accepted,
});

describe('calibration', () => {
  it('counts reviews per reasoner, family and bin; a fallback run counts as its reasoner', () => {
    expect(
      countBins([
        {
          reasoner: 'heuristic',
          family: 'deploy',
          probability: 0.9,
          decision: 'accepted',
        },
        {
          reasoner: 'heuristic (fallback)',
          family: 'deploy',
          probability: 0.85,
          decision: 'rejected',
        },
        {
          reasoner: 'heuristic',
          family: 'deploy',
          probability: 0.1,
          decision: 'modified',
        },
      ]),
    ).toEqual([
      {
        reasoner: 'heuristic',
        family: 'deploy',
        bin: 4,
        reviews: 2,
        accepted: 1,
      },
      {
        reasoner: 'heuristic',
        family: 'deploy',
        bin: 0,
        reviews: 1,
        accepted: 0,
      },
    ]);
  });

  it('maps bins to their acceptance rate, pooling bins that would make the map decrease', () => {
    // Bin 2 accepts 3/4, bin 3 only 1/4: pooled to 4/8; bin 4 stays 9/10; bin 1 is empty.
    expect(
      calibrationMap([bin(0, 5, 0), bin(2, 4, 3), bin(3, 4, 1), bin(4, 10, 9)]),
    ).toEqual([0, null, 0.5, 0.5, 0.9]);
  });

  describe('replayed through the LLM path', () => {
    let server: FakeChatCompletionsServer;
    beforeEach(async () => {
      server = await FakeChatCompletionsServer.start();
    });
    afterEach(() => server.stop());

    const answer = JSON.stringify({
      insufficientEvidence: false,
      hypotheses: [
        {
          rootCause: 'payments is slow',
          affectedComponents: ['payments', 'checkout'],
          probability: 0.85,
          kind: 'latency',
          origin: 'payments',
          reasoning: 'dep:payments takes 90% of the request time',
          diagnosticSteps: [],
          evidenceIds: ['dep:payments'],
        },
      ],
    });
    const replay = async (minReviews: number) => {
      server.reply({ content: answer });
      const replayer = CaseReplayer.create({
        reasoner: 'llm',
        config: new ConfigReader({
          aiTriage: {
            reasoning: { llm: { baseUrl: server.baseUrl, model: 'm' } },
          },
        }),
        calibration: {
          // Reviewers accepted 1 of 4 answers the model gave 0.8-1.0 for latency faults.
          source: { read: async () => [bin(4, 4, 1), bin(1, 2, 0)] },
          minReviews,
        },
      });
      const [outcome] = await replayer.replay([
        {
          version: TRIAGE_CASE_VERSION,
          id: 'a',
          source: 'review',
          context: slowPaymentsContext('inc-a'),
          truth: { type: 'cause', service: 'payments', keywords: [] },
        },
      ]);
      return outcome.hypotheses[0];
    };

    it('maps the probability the model answered once the family has enough reviews', async () => {
      const mapped = await replay(6);
      expect(mapped.probability).toBe(0.25);
      expect(mapped.confidence).toBe('low');
    });

    it('keeps the built-in probability below the configured minimum of reviews', async () => {
      const kept = await replay(7);
      expect(kept.probability).toBe(0.85);
      expect(kept.confidence).toBe('high');
    });
  });
});
