import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import {
  HypothesisDraft,
  TriageQualityResponse,
} from '@ai-triage/plugin-ai-triage-common';
import express from 'express';
import request from 'supertest';
import { ingestItem, testAlert } from '../__testUtils__/alerts';
import { slowPaymentsContext } from '../__testUtils__/contexts';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabaseIncidentStore } from '../database/DatabaseIncidentStore';
import { DatabaseJobQueue } from '../queue/DatabaseJobQueue';
import { DatabaseTriageStore } from '../database/DatabaseTriageStore';
import { applyDatabaseMigrations } from '../database/migrations';
import { ReviewCaseStore } from './ReviewCaseStore';
import { ReviewQualityStore } from './ReviewQualityStore';
import { createQualityRouter } from './qualityRouter';
import { CalibrationStore, recomputeCalibration } from './calibration';

jest.setTimeout(120_000);

const draft = (probability: number): HypothesisDraft => ({
  rootCause: `cause at ${probability}`,
  affectedComponents: ['payments'],
  confidence: 'low',
  probability,
  kind: 'latency',
  origin: 'payments',
  reasoning: '',
  diagnosticSteps: [],
  evidenceIds: ['dep:payments'],
});

describe('GET /quality', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'reports review rates, abstentions, the exact Brier score and reliability bins of seeded reviews, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const incidents = DatabaseIncidentStore.create({
        knex,
        reopenWindowMs: 3_600_000,
        maxAttempts: 3,
      });
      const queue = DatabaseJobQueue.create({ knex });
      const triage = DatabaseTriageStore.create({ knex, maxAttempts: 3 });

      /** One incident, one run of `reasoner` with these hypotheses; reviews by rank. */
      async function seed(
        n: number,
        source: string | { reasoner: string; model: string; prompt: string },
        probabilities: number[],
        reviews: Array<Array<'accepted' | 'modified' | 'rejected'>>,
      ) {
        const {
          incidentIds: [id],
        } = await incidents.ingest({
          source: 'alertmanager',
          deliveryKey: `d${n}`,
          alerts: [
            ingestItem(
              testAlert({ name: `Alert${n}`, fingerprint: `fp${n}` }),
              'component:default/checkout',
            ),
          ],
        });
        const [enrich] = await queue.listJobs({ incidentId: id, limit: 1 });
        const context = await triage.saveContext({
          jobId: enrich.id,
          incidentId: id,
          document: slowPaymentsContext(id),
        });
        await triage.saveTriageRun({
          incidentId: id,
          contextId: context.id,
          ...(typeof source === 'string'
            ? { reasoner: source }
            : {
                reasoner: source.reasoner,
                model: source.model,
                promptVersion: source.prompt,
              }),
          latencyMs: 1,
          result: {
            insufficientEvidence: probabilities.length === 0,
            hypotheses: probabilities.map(draft),
          },
        });
        const hypotheses = await triage.listHypotheses(id);
        for (const [rank, decisions] of reviews.entries()) {
          for (const decision of decisions) {
            await triage.addReview({
              incidentId: id,
              hypothesisId: hypotheses[rank].id,
              reviewer: 'user:default/alice',
              review:
                decision === 'modified'
                  ? { decision, modifiedRootCause: 'the pool, not the network' }
                  : { decision },
            });
          }
        }
        return { id, contextId: context.id };
      }
      // Latest review counts: the 0.3 hypothesis was accepted, then rejected.
      await seed(
        1,
        'heuristic',
        [0.9, 0.3],
        [['accepted'], ['accepted', 'rejected']],
      );
      await seed(2, 'heuristic', [0.8, 0.5], [['modified'], ['accepted']]);
      const small = { reasoner: 'openai', model: 'small', prompt: 'triage-v2' };
      const openaiIncident = await seed(3, small, [0.7, 0.1], [['rejected']]);
      await seed(4, 'heuristic', [], []);
      // A recorded replay of incident 3 by another model: a row of its own, marked replay,
      // never in the overall numbers (nobody reviewed it).
      await triage.saveTriageRun({
        incidentId: openaiIncident.id,
        contextId: openaiIncident.contextId,
        reasoner: 'openai',
        model: 'large',
        promptVersion: 'triage-v3',
        purpose: 'replay',
        latencyMs: 1,
        result: { insufficientEvidence: false, hypotheses: [draft(0.9)] },
      });

      const app = express()
        .use(
          await createQualityRouter({
            httpAuth: mockServices.httpAuth(),
            permissions: mockServices.permissions(),
            store: new ReviewQualityStore(knex),
          }),
        )
        .use(mockErrorHandler());
      const res = await request(app)
        .get('/quality')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(200);
      const body = res.body as TriageQualityResponse;

      // Reviewed forecasts (probability, accepted?): (0.9,1) (0.3,0) (0.8,0) (0.5,1) (0.7,0).
      const { overall } = body;
      expect(overall).toMatchObject({
        runs: 4,
        abstentions: 1,
        reviews: 5,
        accepted: 2,
        modified: 1,
        rejected: 2,
      });
      expect(overall.brier).toBeCloseTo(
        (0.01 + 0.09 + 0.64 + 0.25 + 0.49) / 5,
        12,
      );
      expect(
        overall.reliability.map(b => [b.count, b.meanProbability, b.observed]),
      ).toEqual([
        [0, null, null],
        [1, 0.3, 0],
        [1, 0.5, 1],
        [1, 0.7, 0],
        [2, expect.closeTo(0.85, 12), 0.5],
      ]);
      expect(overall.ece).toBeCloseTo((0.3 + 0.5 + 0.7 + 2 * 0.35) / 5, 12);
      expect(
        body.byReasoner.map(r => [
          r.purpose,
          r.reasoner,
          r.model,
          r.promptVersion,
          r.runs,
          r.abstentions,
          r.reviews,
          r.rejected,
        ]),
      ).toEqual([
        ['live', 'heuristic', null, null, 3, 1, 4, 1],
        ['live', 'openai', 'small', 'triage-v2', 1, 0, 1, 1],
        ['replay', 'openai', 'large', 'triage-v3', 1, 0, 0, 0],
      ]);
      expect(body.byReasoner[1].brier).toBeCloseTo(0.49, 12);
      // The recorded replay, beside the live answer the incident still shows (rejected).
      expect(body.replays).toEqual([
        {
          runId: expect.any(String),
          incidentId: openaiIncident.id,
          reasoner: 'openai',
          model: 'large',
          promptVersion: 'triage-v3',
          createdAt: expect.any(String),
          insufficientEvidence: false,
          top: {
            rootCause: 'cause at 0.9',
            probability: 0.9,
            origin: 'payments',
          },
          live: {
            rootCause: 'cause at 0.7',
            probability: 0.7,
            decision: 'rejected',
          },
        },
      ]);
      expect(body.byReasoner[0].brier).toBeCloseTo(0.99 / 4, 12);

      // The calibration task stores the same reviews per reasoner, family and bin.
      const stored = new CalibrationStore(knex);
      await recomputeCalibration({
        reviews: new ReviewQualityStore(knex),
        store: stored,
        windowDays: 90,
      });
      const bins = await stored.read();
      expect(
        bins
          .map(b => [b.reasoner, b.family, b.bin, b.reviews, b.accepted])
          .sort(),
      ).toEqual(
        [
          ['heuristic', 'latency', 1, 1, 0],
          ['heuristic', 'latency', 2, 1, 1],
          ['heuristic', 'latency', 4, 2, 1],
          ['openai', 'latency', 3, 1, 0],
        ].sort(),
      );

      // cases:export: the review truth per incident (accepted, else modified, else not).
      const cases = await new ReviewCaseStore(knex).listCases(new Date(0));
      expect(
        cases
          .map(c => [c.source, c.truth])
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      ).toEqual([
        ['review', { type: 'cause', service: 'payments', keywords: [] }],
        ['review', { type: 'cause', service: 'payments', keywords: [] }],
        ['review', { type: 'not', service: 'payments' }],
      ]);
      expect(
        cases.find(c => c.incidentId === openaiIncident.id)?.contextId,
      ).toBe(openaiIncident.contextId);
      expect(
        cases.every(c => c.context.dependencies[0].id === 'dep:payments'),
      ).toBe(true);

      const past = await request(app)
        .get('/quality')
        .query({ from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z' })
        .set('Authorization', mockCredentials.user.header());
      expect(past.body.overall).toMatchObject({
        runs: 0,
        reviews: 0,
        brier: null,
      });

      const bad = await request(app)
        .get('/quality')
        .query({ from: 'yesterday' })
        .set('Authorization', mockCredentials.user.header());
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/from/);
    },
  );
});
