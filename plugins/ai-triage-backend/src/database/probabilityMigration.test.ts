import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { ingestItem, testAlert } from '../__testUtils__/alerts';
import { slowPaymentsContext } from '../__testUtils__/contexts';
import { DatabaseIncidentStore } from './DatabaseIncidentStore';
import { DatabaseTriageStore } from './DatabaseTriageStore';

jest.setTimeout(60_000);

const directory = resolvePackagePath(
  '@ai-triage/plugin-ai-triage-backend',
  'migrations',
);
const MIGRATION = '20261206002000_hypothesis_probability.js';

describe(`migration ${MIGRATION}`, () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'adds probability, kind and origin to hypotheses; rows stored before stay readable, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      // The incident is stored by today's store on today's schema; then this migration is
      // undone, so the triage below is written as the store wrote it before probabilities.
      await knex.migrate.latest({ directory });
      const incidents = DatabaseIncidentStore.create({
        knex,
        reopenWindowMs: 1,
        maxAttempts: 3,
      });
      const {
        incidentIds: [incidentId],
      } = await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: 'old',
        alerts: [ingestItem(testAlert())],
      });
      await knex.migrate.down({ directory, name: MIGRATION });
      expect(await knex.schema.hasColumn('hypotheses', 'probability')).toBe(
        false,
      );

      // A triage stored before probabilities, written as the old store wrote it.
      const now = new Date();
      const document = JSON.stringify(slowPaymentsContext(incidentId));
      const [inserted] = await knex('context_documents').insert(
        {
          incident_id: incidentId,
          job_id: 999_999,
          schema_version: 1,
          document,
          size_bytes: document.length,
          created_at: now,
        },
        ['id'],
      );
      await knex('triage_runs').insert({
        id: 'run-old',
        incident_id: incidentId,
        context_id: inserted.id ?? inserted,
        reasoner: 'heuristic',
        insufficient_evidence: false,
        latency_ms: 2,
        created_at: now,
      });
      await knex('hypotheses').insert(
        (['medium', 'high'] as const).map((confidence, index) => ({
          id: `hyp-old-${index}`,
          run_id: 'run-old',
          incident_id: incidentId,
          rank: index + 1,
          root_cause: `old ${confidence}`,
          affected_components: '["checkout"]',
          confidence,
          reasoning: 'stored before probabilities',
          diagnostic_steps: '[]',
          evidence_ids: '["dep:payments"]',
          created_at: now,
        })),
      );

      await knex.migrate.up({ directory, name: MIGRATION });
      const rows = await knex('hypotheses')
        .where('run_id', 'run-old')
        .orderBy('rank');
      expect(rows.map(r => [r.probability, r.kind, r.origin])).toEqual([
        [null, null, null],
        [null, null, null],
      ]);
      const triage = DatabaseTriageStore.create({ knex, maxAttempts: 3 });
      const read = await triage.listHypotheses(incidentId);
      expect(
        read.map(h => [h.rootCause, h.confidence, h.probability, h.kind]),
      ).toEqual([
        ['old medium', 'medium', 0.55, undefined],
        ['old high', 'high', 0.85, undefined],
      ]);

      await knex.migrate.down({ directory, name: MIGRATION });
      expect(await knex.schema.hasColumn('hypotheses', 'origin')).toBe(false);
      const [{ n }] = await knex('hypotheses')
        .where('run_id', 'run-old')
        .count('* as n');
      expect(Number(n)).toBe(2);
    },
  );
});
