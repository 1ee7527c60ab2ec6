import { ConfigReader } from '@backstage/config';
import {
  TRIAGE_CASE_VERSION,
  TriageCase,
} from '@ai-triage/plugin-ai-triage-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { slowPaymentsContext } from '../__testUtils__/contexts';
import { FakeChatCompletionsServer } from '../reasoning/__testUtils__/FakeChatCompletionsServer';
import { CaseReplayer, readCaseFolder } from './CaseReplayer';
import { summarizeOutcomes } from './metrics';

const paymentsCase = (id: string): TriageCase => ({
  version: TRIAGE_CASE_VERSION,
  id,
  source: 'scenario',
  context: slowPaymentsContext(`inc-${id}`),
  truth: { type: 'cause', service: 'payments', keywords: [] },
});

const modelAnswer = (probability: number) =>
  JSON.stringify({
    insufficientEvidence: false,
    hypotheses: [
      {
        rootCause: 'payments is slow and fails a fifth of the calls',
        affectedComponents: ['payments', 'checkout'],
        probability,
        kind: 'latency',
        origin: 'payments',
        reasoning: 'dep:payments takes 90% of the request time',
        diagnosticSteps: ['Check payments'],
        evidenceIds: ['dep:payments'],
      },
    ],
  });

describe('CaseReplayer', () => {
  let server: FakeChatCompletionsServer;
  beforeEach(async () => {
    server = await FakeChatCompletionsServer.start();
  });
  afterEach(() => server.stop());

  it('replays cases through the LLM path against an OpenAI-compatible endpoint, counting tokens', async () => {
    server.reply(
      {
        content: modelAnswer(0.8),
        usage: { prompt_tokens: 1500, completion_tokens: 120 },
      },
      {
        content: modelAnswer(0.6),
        usage: { prompt_tokens: 1700, completion_tokens: 140 },
      },
    );
    const replayer = CaseReplayer.create({
      reasoner: 'llm',
      config: new ConfigReader({
        aiTriage: {
          reasoning: {
            llm: { baseUrl: server.baseUrl, model: 'tiny-model', apiKey: 'k' },
          },
        },
      }),
    });
    expect(replayer.label).toMatch(/^llm tiny-model \(triage-v\d+\)$/);
    const outcomes = await replayer.replay([
      paymentsCase('a'),
      paymentsCase('b'),
    ]);

    expect(server.requests).toHaveLength(2);
    expect(server.requests[0].body.model).toBe('tiny-model');
    expect(outcomes.map(o => o.hypotheses[0]?.probability)).toEqual([0.8, 0.6]);
    const s = summarizeOutcomes(outcomes, {
      inputPerMillion: 1,
      outputPerMillion: 4,
    });
    expect(s.top1).toBe(1);
    expect(s.brier).toBeCloseTo((0.2 ** 2 + 0.4 ** 2) / 2, 12);
    expect(s.tokensInPerCase).toBe(1600);
    expect(s.tokensOutPerCase).toBe(130);
    expect(s.costPerCase).toBeCloseTo((1600 + 130 * 4) / 1e6, 12);
  });

  it('counts a failing endpoint as an error and an abstention, not a crash', async () => {
    server.reply({ status: 400, message: 'bad request' });
    const replayer = CaseReplayer.create({
      reasoner: 'llm',
      config: new ConfigReader({
        aiTriage: {
          reasoning: {
            llm: { baseUrl: server.baseUrl, model: 'm', maxRetries: 0 },
          },
        },
      }),
    });
    const [outcome] = await replayer.replay([paymentsCase('a')]);
    expect(outcome.error).toMatch(/400|bad request/);
    expect(summarizeOutcomes([outcome]).abstentionRate).toBe(1);
  });

  it('replays with the heuristic reasoner without any endpoint', async () => {
    const outcomes = await CaseReplayer.create({
      reasoner: 'heuristic',
      config: new ConfigReader({}),
    }).replay([paymentsCase('a')]);
    expect(outcomes[0].hypotheses[0].origin).toBe('payments');
    expect(outcomes[0].tokensIn).toBeNull();
  });

  it('reads a case folder and names a bad file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cases-'));
    fs.writeFileSync(
      path.join(dir, 'a.json'),
      JSON.stringify(paymentsCase('a')),
    );
    expect(readCaseFolder(dir).map(c => c.id)).toEqual(['a']);
    fs.writeFileSync(
      path.join(dir, 'b.json'),
      JSON.stringify({ ...paymentsCase('b'), truth: { type: 'maybe' } }),
    );
    expect(() => readCaseFolder(dir)).toThrow(
      /b\.json is not a valid case.*truth/,
    );
    fs.rmSync(dir, { recursive: true });
  });
});
