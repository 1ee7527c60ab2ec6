import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { ingestItem, testAlert } from '../__testUtils__/alerts';
import { slowPaymentsContext } from '../__testUtils__/contexts';
import { applyDatabaseMigrations } from './migrations';
import { DatabaseIncidentStore } from './DatabaseIncidentStore';
import { DatabaseJobQueue } from '../queue/DatabaseJobQueue';
import { DatabaseTriageStore } from './DatabaseTriageStore';

jest.setTimeout(60_000);

/** The stores on a migrated database with one incident whose enrich job a worker has claimed. */
async function claimedIncident(knex: Knex) {
  await applyDatabaseMigrations(knex);
  const incidents = DatabaseIncidentStore.create({
    knex,
    reopenWindowMs: 1,
    maxAttempts: 3,
  });
  const queue = DatabaseJobQueue.create({ knex });
  const triage = DatabaseTriageStore.create({ knex, maxAttempts: 3 });
  const {
    incidentIds: [incidentId],
  } = await incidents.ingest({
    source: 'alertmanager',
    deliveryKey: 'd',
    alerts: [ingestItem(testAlert())],
  });
  const enrichJob = await queue.claim('w', 60_000);
  return { incidents, queue, triage, incidentId, enrichJob };
}

describe('DatabaseTriageStore', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'stores context, hypotheses and reviews idempotently, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { incidents, queue, triage, incidentId, enrichJob } =
        await claimedIncident(knex);

      const context = await triage.saveContext({
        jobId: enrichJob!.id,
        incidentId,
        document: slowPaymentsContext(incidentId),
      });
      const rerun = await triage.saveContext({
        jobId: enrichJob!.id,
        incidentId,
        document: slowPaymentsContext(incidentId),
      });
      expect(rerun.id).toBe(context.id);
      expect((await triage.getLatestContext(incidentId))!.document).toEqual(
        slowPaymentsContext(incidentId),
      );
      expect((await incidents.getIncident(incidentId))!.triageState).toBe(
        'reasoning',
      );
      expect(
        (await queue.listJobs({ limit: 10 })).map(j => j.type).sort(),
      ).toEqual(['enrich', 'reason']);

      const result = {
        insufficientEvidence: false,
        hypotheses: [
          {
            rootCause: 'payments is slow',
            affectedComponents: ['payments', 'checkout'],
            confidence: 'high' as const,
            probability: 0.83,
            kind: 'latency' as const,
            origin: 'payments',
            reasoning: 'dep:payments takes 90% of the time',
            diagnosticSteps: ['look at payments p95'],
            evidenceIds: ['dep:payments'],
          },
          {
            rootCause: 'checkout pool exhausted',
            affectedComponents: ['checkout'],
            confidence: 'low' as const,
            reasoning: 'weak',
            diagnosticSteps: [],
            evidenceIds: ['dep:payments'],
          },
        ],
      };
      const run = await triage.saveTriageRun({
        incidentId,
        contextId: context.id,
        reasoner: 'heuristic',
        latencyMs: 3,
        result,
      });
      await triage.saveTriageRun({
        incidentId,
        contextId: context.id,
        reasoner: 'heuristic',
        latencyMs: 3,
        result,
      });
      expect((await triage.getLatestRun(incidentId))!.id).toBe(run.id);
      expect(run).toMatchObject({ degraded: false, degradedReason: null });
      const hypotheses = await triage.listHypotheses(incidentId);
      expect(hypotheses.map(h => [h.rank, h.rootCause, h.review])).toEqual([
        [1, 'payments is slow', null],
        [2, 'checkout pool exhausted', null],
      ]);
      // Probability, kind and origin as stored; a hypothesis given without a probability reads
      // as the middle of its label's band, and without kind or origin has none.
      expect(
        hypotheses.map(h => [h.probability, h.kind, h.origin, h.confidence]),
      ).toEqual([
        [0.83, 'latency', 'payments', 'high'],
        [0.2, undefined, undefined, 'low'],
      ]);
      expect((await incidents.getIncident(incidentId))!.triageState).toBe(
        'triaged',
      );

      await triage.addReview({
        incidentId,
        hypothesisId: hypotheses[0].id,
        reviewer: 'user:default/ada',
        review: { decision: 'accepted' },
      });
      const modified = await triage.addReview({
        incidentId,
        hypothesisId: hypotheses[0].id,
        reviewer: 'user:default/grace',
        review: {
          decision: 'modified',
          modifiedRootCause: 'payments DB lock contention',
          comment: 'seen in pg_locks',
        },
      });
      const [first] = await triage.listHypotheses(incidentId);
      expect(first.review).toEqual(modified);
      expect(first.review).toMatchObject({
        reviewer: 'user:default/grace',
        decision: 'modified',
        modifiedRootCause: 'payments DB lock contention',
      });
      await expect(
        triage.addReview({
          incidentId: 'another-incident',
          hypothesisId: hypotheses[0].id,
          reviewer: 'user:default/ada',
          review: { decision: 'rejected' },
        }),
      ).rejects.toThrow(/not found in incident another-incident/);
    },
  );

  it.each(databases.eachSupportedId())(
    'stores degraded runs and the audit records of LLM calls, %p',
    async databaseId => {
      const { triage, incidentId, enrichJob } = await claimedIncident(
        await databases.init(databaseId),
      );
      const context = await triage.saveContext({
        jobId: enrichJob!.id,
        incidentId,
        document: slowPaymentsContext(incidentId),
      });

      const first = await triage.saveLlmCall({
        incidentId,
        reasoner: 'openai',
        model: 'gpt-test',
        promptVersion: 'v9',
        attempt: 1,
        prompt: [
          { role: 'system', content: 'instructions' },
          { role: 'user', content: '<context>{}</context>' },
        ],
        response: '{"hypotheses": [',
        outcome: 'invalid_json',
        error: 'Unexpected end of JSON input',
        promptTokens: 1200,
        completionTokens: 7,
        totalTokens: 1207,
        latencyMs: 812.6,
      });
      await triage.saveLlmCall({
        incidentId,
        reasoner: 'openai',
        model: 'gpt-test',
        promptVersion: 'v9',
        attempt: 2,
        prompt: [{ role: 'user', content: 'repair' }],
        response: null,
        outcome: 'timeout',
        error: 'Request timed out.',
        promptTokens: null,
        completionTokens: null,
        totalTokens: null,
        latencyMs: 30_000,
      });
      const calls = await triage.listLlmCalls(incidentId);
      expect(calls).toHaveLength(2);
      expect(calls[0]).toEqual(first);
      expect(calls[0]).toMatchObject({
        attempt: 1,
        outcome: 'invalid_json',
        latencyMs: 813,
        totalTokens: 1207,
        prompt: [
          { role: 'system', content: 'instructions' },
          { role: 'user', content: '<context>{}</context>' },
        ],
      });
      expect(calls[1]).toMatchObject({
        attempt: 2,
        outcome: 'timeout',
        response: null,
        promptTokens: null,
      });
      expect(await triage.listLlmCalls('another-incident')).toEqual([]);

      const run = await triage.saveTriageRun({
        incidentId,
        contextId: context.id,
        reasoner: 'heuristic (fallback)',
        latencyMs: 4,
        result: { hypotheses: [], insufficientEvidence: true },
        degradedReason: 'circuit open',
      });
      expect(run).toMatchObject({
        degraded: true,
        degradedReason: 'circuit open',
        insufficientEvidence: true,
      });
      expect(await triage.getLatestRun(incidentId)).toEqual(run);
      expect(await triage.listHypotheses(incidentId)).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    "stores replay runs beside the live run without changing the incident's answer, %p",
    async databaseId => {
      const { incidents, triage, incidentId, enrichJob } =
        await claimedIncident(await databases.init(databaseId));
      const context = await triage.saveContext({
        jobId: enrichJob!.id,
        incidentId,
        document: slowPaymentsContext(incidentId),
      });
      const draft = (rootCause: string, probability: number) => ({
        rootCause,
        affectedComponents: ['payments'],
        confidence: 'medium' as const,
        probability,
        kind: 'latency' as const,
        origin: 'payments',
        reasoning: '',
        diagnosticSteps: [],
        evidenceIds: ['dep:payments'],
      });
      const live = await triage.saveTriageRun({
        incidentId,
        contextId: context.id,
        reasoner: 'openai',
        model: 'small',
        promptVersion: 'triage-v2',
        latencyMs: 5,
        result: {
          insufficientEvidence: false,
          hypotheses: [draft('payments is slow', 0.6)],
        },
      });
      expect(live).toMatchObject({
        purpose: 'live',
        model: 'small',
        promptVersion: 'triage-v2',
      });
      const [liveHypothesis] = await triage.listHypotheses(incidentId);
      await triage.addReview({
        incidentId,
        hypothesisId: liveHypothesis.id,
        reviewer: 'user:default/ada',
        review: { decision: 'accepted' },
      });
      const before = await incidents.getIncident(incidentId);

      // Two replays of the same context (two models): both stored, neither is the answer.
      const replays = [];
      for (const model of ['large', 'tiny']) {
        replays.push(
          await triage.saveTriageRun({
            incidentId,
            contextId: context.id,
            reasoner: 'openai',
            model,
            promptVersion: 'triage-v3',
            purpose: 'replay',
            latencyMs: 7,
            result: {
              insufficientEvidence: false,
              hypotheses: [draft(`${model}: checkout pool exhausted`, 0.9)],
            },
          }),
        );
      }
      expect(replays.map(r => [r.purpose, r.model])).toEqual([
        ['replay', 'large'],
        ['replay', 'tiny'],
      ]);
      expect(new Set(replays.map(r => r.id)).size).toBe(2);
      const runs = await triage.listRuns(incidentId);
      expect(runs.map(r => [r.id, r.purpose]).sort()).toEqual(
        [
          [live.id, 'live'],
          [replays[0].id, 'replay'],
          [replays[1].id, 'replay'],
        ].sort(),
      );

      // The incident's current answer: the live run, its hypothesis and review, its state.
      expect(await triage.getLatestRun(incidentId)).toEqual(live);
      const after = await triage.listHypotheses(incidentId);
      expect(after.map(h => [h.id, h.rootCause, h.review?.decision])).toEqual([
        [liveHypothesis.id, 'payments is slow', 'accepted'],
      ]);
      expect(await incidents.getIncident(incidentId)).toEqual(before);

      // A re-run of the live reason job is still a no-op.
      const again = await triage.saveTriageRun({
        incidentId,
        contextId: context.id,
        reasoner: 'openai',
        latencyMs: 1,
        result: { insufficientEvidence: true, hypotheses: [] },
      });
      expect(again.id).toBe(live.id);
      expect(await triage.listRuns(incidentId)).toHaveLength(3);
    },
  );
});
