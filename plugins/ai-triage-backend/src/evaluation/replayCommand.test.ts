import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import knexFactory from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import { TriageCase } from '@ai-triage/plugin-ai-triage-common';
import { ingestItem, testAlert } from '../__testUtils__/alerts';
import { slowPaymentsContext } from '../__testUtils__/contexts';
import { testDatabaseIds } from '../__testUtils__/testDatabases';
import { DatabaseIncidentStore } from '../database/DatabaseIncidentStore';
import { DatabaseJobQueue } from '../queue/DatabaseJobQueue';
import { DatabaseTriageStore } from '../database/DatabaseTriageStore';
import { applyDatabaseMigrations } from '../database/migrations';
import { FakeChatCompletionsServer } from '../reasoning/__testUtils__/FakeChatCompletionsServer';
import { PROMPT_VERSION } from '../reasoning/llm/triagePrompt';
import { CalibrationStore } from './calibration';
import {
  openPluginDatabase,
  scriptEnvironment,
} from '../../scripts/pluginDatabase';
import {
  exportReviewCases as exportWith,
  runReplay as replayWith,
} from './replayCommand';

/** The commands as the scripts run them (app-config files, Backstage's DatabaseManager). */
const runReplay = (args: string[]) => replayWith(args, scriptEnvironment);
const exportReviewCases = (args: string[], defaultOutDir: string) =>
  exportWith(args, defaultOutDir, scriptEnvironment);

jest.setTimeout(120_000);

const POSTGRES_URL =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING;

/**
 * `backend.database` as an operator configures it: PostgreSQL (the server the test helpers
 * started, one database per test through Backstage's prefix) or SQLite files in a folder.
 */
function databaseConfig(id: string, dir: string) {
  if (id === 'POSTGRES_16') {
    const prefix = `replay_${process.pid}_${Date.now()}_`;
    return {
      config: { client: 'pg', connection: POSTGRES_URL!, prefix },
      async drop() {
        const admin = knexFactory({ client: 'pg', connection: POSTGRES_URL! });
        await admin.raw(`DROP DATABASE IF EXISTS "${prefix}ai-triage"`);
        await admin.destroy();
      },
    };
  }
  return {
    config: { client: 'better-sqlite3', connection: { directory: dir } },
    async drop() {},
  };
}

/** Two reviewed incidents (payments accepted; payments rejected) and one unreviewed. */
async function seed(knex: Knex) {
  await applyDatabaseMigrations(knex);
  const incidents = DatabaseIncidentStore.create({
    knex,
    reopenWindowMs: 1,
    maxAttempts: 3,
  });
  const queue = DatabaseJobQueue.create({ knex });
  const triage = DatabaseTriageStore.create({ knex, maxAttempts: 3 });
  const seeded: Array<{ id: string; contextId: string; runId: string }> = [];
  for (const [n, decision] of [
    [1, 'accepted'],
    [2, 'rejected'],
    [3, undefined],
  ] as const) {
    const {
      incidentIds: [id],
    } = await incidents.ingest({
      source: 'alertmanager',
      deliveryKey: `d${n}`,
      alerts: [
        ingestItem(testAlert({ name: `Alert${n}`, fingerprint: `fp${n}` })),
      ],
    });
    const [enrich] = await queue.listJobs({ incidentId: id, limit: 1 });
    const context = await triage.saveContext({
      jobId: enrich.id,
      incidentId: id,
      document: slowPaymentsContext(id),
    });
    const run = await triage.saveTriageRun({
      incidentId: id,
      contextId: context.id,
      reasoner: 'heuristic',
      latencyMs: 2,
      result: {
        insufficientEvidence: false,
        hypotheses: [
          {
            rootCause: 'payments is slow',
            affectedComponents: ['payments'],
            confidence: 'high',
            probability: 0.9,
            kind: 'latency',
            origin: 'payments',
            reasoning: '',
            diagnosticSteps: [],
            evidenceIds: ['dep:payments'],
          },
        ],
      },
    });
    if (decision) {
      const [h] = await triage.listHypotheses(id);
      await triage.addReview({
        incidentId: id,
        hypothesisId: h.id,
        reviewer: 'user:default/ada',
        review: { decision },
      });
    }
    seeded.push({ id, contextId: context.id, runId: run.id });
  }
  // Reviewers accepted a quarter of the heuristic's latency answers in every bin: with
  // minReviews 4 the replay maps every probability to 0.25, as the plugin would.
  await new CalibrationStore(knex).replace(
    [0, 1, 2, 3, 4].map(bin => ({
      reasoner: 'heuristic',
      family: 'latency',
      bin,
      reviews: 4,
      accepted: 1,
    })),
  );
  return seeded;
}

describe.each(testDatabaseIds())(
  'cases:export and replay --since on a configured database, %p',
  databaseId => {
    let dir: string;
    let configFile: string;
    let drop: () => Promise<void>;
    let appConfig: object;

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-command-'));
      const database = databaseConfig(databaseId, dir);
      drop = database.drop;
      appConfig = {
        backend: { database: database.config },
        aiTriage: { reasoning: { calibration: { minReviews: 4 } } },
      };
      configFile = path.join(dir, 'app-config.yaml');
      fs.writeFileSync(configFile, yaml.stringify(appConfig));
    });
    afterEach(async () => {
      await drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('exports reviewed incidents as cases and records a replay without changing the live answer', async () => {
      const seeding = await openPluginDatabase(new ConfigReader(appConfig));
      const [accepted, rejected, unreviewed] = await seed(seeding.knex);
      await seeding.close();

      // cases:export: one file per reviewed incident, with the truth its review gives.
      const out = path.join(dir, 'cases');
      const exported = await exportReviewCases(
        ['--config', configFile, '--since', '7d', '--out', out],
        '/nowhere',
      );
      expect(exported.dir).toBe(out);
      const files = fs.readdirSync(out).sort();
      expect(files).toEqual(
        [`review-${accepted.id}.json`, `review-${rejected.id}.json`].sort(),
      );
      const written: TriageCase = JSON.parse(
        fs.readFileSync(path.join(out, `review-${accepted.id}.json`), 'utf8'),
      );
      expect(written).toMatchObject({
        source: 'review',
        incidentId: accepted.id,
        contextId: accepted.contextId,
        truth: { type: 'cause', service: 'payments' },
      });
      expect(
        JSON.parse(
          fs.readFileSync(path.join(out, `review-${rejected.id}.json`), 'utf8'),
        ).truth,
      ).toEqual({ type: 'not', service: 'payments' });

      // replay --since 7d --record: the heuristic re-reasons both, through the stored
      // calibration, and each answer is stored as a replay run.
      const report = JSON.parse(
        await runReplay([
          '--since',
          '7d',
          '--config',
          configFile,
          '--record',
          '--json',
        ]),
      );
      expect(report.reasoner).toBe('heuristic');
      expect(report.summary).toMatchObject({
        cases: 2,
        causeCases: 1,
        top1: 1,
        errors: 0,
      });
      // Every bin of the heuristic's latency family maps to 0.25.
      expect(
        report.outcomes.map((o: any) =>
          o.hypotheses.map((h: any) => [h.origin, h.probability]),
        ),
      ).toEqual([[['payments', 0.25]], [['payments', 0.25]]]);
      // Accepted payments at 0.25 is a hit, rejected payments at 0.25 a miss.
      expect(report.summary.brier).toBeCloseTo((0.75 ** 2 + 0.25 ** 2) / 2, 12);
      expect(
        report.recorded.recorded.map((r: any) => r.incidentId).sort(),
      ).toEqual([accepted.id, rejected.id].sort());

      const checking = await openPluginDatabase(new ConfigReader(appConfig));
      const check = checking.knex;
      try {
        const triage = DatabaseTriageStore.create({
          knex: check,
          maxAttempts: 3,
        });
        for (const incident of [accepted, rejected]) {
          const runs = await triage.listRuns(incident.id);
          expect(runs.map(r => r.purpose).sort()).toEqual(['live', 'replay']);
          const replay = runs.find(r => r.purpose === 'replay')!;
          expect(replay).toMatchObject({
            reasoner: 'heuristic',
            contextId: incident.contextId,
            model: null,
            promptVersion: null,
          });
          const stored = await check('hypotheses')
            .where('run_id', replay.id)
            .select('probability');
          expect(stored.map(h => Number(h.probability))).toEqual([0.25]);
          // The live answer the incident view shows is the seeded run, with its review.
          expect((await triage.getLatestRun(incident.id))!.id).toBe(
            incident.runId,
          );
          const [shown] = await triage.listHypotheses(incident.id);
          expect([shown.probability, shown.review?.decision]).toEqual([
            0.9,
            incident === accepted ? 'accepted' : 'rejected',
          ]);
        }
        expect(
          (await triage.listRuns(unreviewed.id)).map(r => r.purpose),
        ).toEqual(['live']);
      } finally {
        await checking.close();
      }

      // Without --record nothing is stored.
      await runReplay(['--since', '7d', '--config', configFile]);
      const again = await openPluginDatabase(new ConfigReader(appConfig));
      const [{ count }] = await again
        .knex('triage_runs')
        .where('purpose', 'replay')
        .count({ count: '*' });
      await again.close();
      expect(Number(count)).toBe(2);
    });

    it('replays through the LLM path against the loopback endpoint, maps the answered probability through calibration and records the run with its model and prompt version', async () => {
      const llm = await FakeChatCompletionsServer.start();
      try {
        const seeding = await openPluginDatabase(new ConfigReader(appConfig));
        const [accepted] = await seed(seeding.knex);
        // Reviewers accepted 1 of 4 latency answers the model gave 0.8-1.0.
        await new CalibrationStore(seeding.knex).replace([
          {
            reasoner: 'openai',
            family: 'latency',
            bin: 4,
            reviews: 4,
            accepted: 1,
          },
        ]);
        await seeding.close();
        const answer = (probability: number) => ({
          content: JSON.stringify({
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
          }),
          usage: { prompt_tokens: 1000, completion_tokens: 100 },
        });
        // 0.85 falls in the calibrated bin (mapped to 0.25); 0.5 in a bin without reviews.
        llm.reply(answer(0.85), answer(0.5));
        const llmConfig = path.join(dir, 'llm.yaml');
        fs.writeFileSync(
          llmConfig,
          yaml.stringify({
            ...appConfig,
            aiTriage: {
              reasoning: {
                calibration: { minReviews: 4 },
                llm: { baseUrl: llm.baseUrl, model: 'tiny-model', apiKey: 'k' },
              },
            },
          }),
        );
        const report = JSON.parse(
          await runReplay([
            '--since',
            '7d',
            '--reasoner',
            'llm',
            '--config',
            llmConfig,
            '--record',
            '--json',
            '--price-in',
            '1',
            '--price-out',
            '4',
          ]),
        );
        expect(llm.requests).toHaveLength(2);
        expect(llm.requests[0].body.model).toBe('tiny-model');
        expect(report.reasoner).toBe(`llm tiny-model (${PROMPT_VERSION})`);
        expect(
          report.outcomes.map((o: any) => o.hypotheses[0].probability),
        ).toEqual([0.25, 0.5]);
        expect(report.summary).toMatchObject({
          tokensInPerCase: 1000,
          tokensOutPerCase: 100,
          errors: 0,
        });
        expect(report.summary.costPerCase).toBeCloseTo(1400 / 1e6, 12);
        expect(report.recorded.recorded).toHaveLength(2);

        const checking = await openPluginDatabase(new ConfigReader(appConfig));
        try {
          const triage = DatabaseTriageStore.create({
            knex: checking.knex,
            maxAttempts: 3,
          });
          const runs = await triage.listRuns(accepted.id);
          const replay = runs.find(r => r.purpose === 'replay');
          expect(replay).toMatchObject({
            reasoner: 'openai',
            model: 'tiny-model',
            promptVersion: PROMPT_VERSION,
          });
          expect((await triage.getLatestRun(accepted.id))!.id).toBe(
            accepted.runId,
          );
        } finally {
          await checking.close();
        }
      } finally {
        await llm.stop();
      }
    });

    it('names a bad duration and a config without a database', async () => {
      await expect(
        runReplay(['--since', '7 days', '--config', configFile]),
      ).rejects.toThrow(/--since takes a duration like 7d/);
      const empty = path.join(dir, 'empty.yaml');
      fs.writeFileSync(empty, 'aiTriage: {}\n');
      await expect(exportReviewCases(['--config', empty], dir)).rejects.toThrow(
        /must name the database \(backend\.database\)/,
      );
      await expect(
        runReplay(['--cases', dir, '--record', '--config', empty]),
      ).rejects.toThrow(/backend\.database/);
    });
  },
);
