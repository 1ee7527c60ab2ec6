import { mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { ingestItem, testAlert } from '../__testUtils__/alerts';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabaseIncidentStore } from '../database/DatabaseIncidentStore';
import { applyDatabaseMigrations } from '../database/migrations';
import {
  DatabaseRetention,
  DEFAULT_RETENTION_POLICY,
} from './DatabaseRetention';

jest.setTimeout(120_000);

const DAY = 86_400_000;
const NOW = new Date('2026-12-06T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

async function count(knex: Knex, table: string): Promise<number> {
  return Number((await knex(table).count({ n: '*' }))[0].n);
}

/** An incident with a context, an LLM call, a run, a hypothesis and (optionally) a review. */
async function incidentWithRows(
  knex: Knex,
  store: DatabaseIncidentStore,
  name: string,
  resolvedDaysAgo: number | null,
  reviewed: boolean,
): Promise<string> {
  const { incidentIds } = await store.ingest({
    source: 'alertmanager',
    deliveryKey: name,
    alerts: [ingestItem(testAlert({ fingerprint: name, name }))],
  });
  const id = incidentIds[0];
  const at = resolvedDaysAgo === null ? NOW : daysAgo(resolvedDaysAgo);
  if (resolvedDaysAgo !== null) {
    await knex('incidents')
      .where({ id })
      .update({ status: 'resolved', active_key: null, resolved_at: at });
  }
  await knex('jobs')
    .where({ incident_id: id })
    .update({ status: 'done', updated_at: at });
  await knex('deliveries')
    .update({ received_at: at })
    .where('delivery_key', name);
  const [job] = await knex('jobs').where({ incident_id: id }).pluck('id');
  await knex('context_documents').insert({
    incident_id: id,
    job_id: job,
    schema_version: 1,
    document: '{}',
    size_bytes: 2,
    created_at: at,
  });
  await knex('llm_calls').insert({
    incident_id: id,
    reasoner: 'llm',
    model: 'm',
    prompt_version: 'v1',
    attempt: 1,
    prompt: '[]',
    outcome: 'ok',
    latency_ms: 1,
    created_at: at,
  });
  await knex('triage_runs').insert({
    id: `run-${name}`,
    incident_id: id,
    context_id: 1,
    reasoner: 'llm',
    insufficient_evidence: false,
    latency_ms: 1,
    created_at: at,
  });
  await knex('hypotheses').insert({
    id: `h-${name}`,
    run_id: `run-${name}`,
    incident_id: id,
    rank: 1,
    root_cause: 'x',
    affected_components: '[]',
    confidence: 'high',
    reasoning: 'x',
    diagnostic_steps: '[]',
    evidence_ids: '[]',
    created_at: at,
  });
  if (reviewed) {
    await knex('reviews').insert({
      hypothesis_id: `h-${name}`,
      incident_id: id,
      decision: 'accepted',
      reviewer: 'user:default/jane',
      created_at: at,
    });
  }
  return id;
}

describe('DatabaseRetention', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'deletes what is past its time in every growing table, in batches, and keeps the rest, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = DatabaseIncidentStore.create({
        knex,
        reopenWindowMs: 0,
        maxAttempts: 3,
      });
      const open = await incidentWithRows(knex, store, 'open', null, false);
      const recent = await incidentWithRows(knex, store, 'recent', 3, false);
      // Past the job, delivery and context times, within the incident and LLM call times.
      const monthOld = await incidentWithRows(knex, store, 'month', 40, false);
      // Past every time but the reviewed one: only its review keeps it.
      const reviewedOld = await incidentWithRows(knex, store, 'rev', 200, true);
      const unreviewedOld = await incidentWithRows(
        knex,
        store,
        'old',
        200,
        false,
      );

      const retention = DatabaseRetention.create({
        knex,
        policy: { ...DEFAULT_RETENTION_POLICY, batchSize: 2 },
        logger: mockServices.logger.mock(),
      });
      const report = await retention.run(NOW);

      expect(report).toEqual({
        jobs: 3,
        deliveries: 3,
        // 200-day-old calls of both old incidents (the unreviewed one's go with it anyway).
        llmCalls: 2,
        contextDocuments: 3,
        incidents: 1,
      });
      expect((await knex('incidents').pluck('id')).sort()).toEqual(
        [open, recent, monthOld, reviewedOld].sort(),
      );
      expect(
        (await knex('context_documents').pluck('incident_id')).sort(),
      ).toEqual([open, recent].sort());
      expect(await knex('reviews').pluck('incident_id')).toEqual([reviewedOld]);
      for (const table of ['alerts', 'hypotheses', 'triage_runs']) {
        expect(
          await knex(table).where('incident_id', unreviewedOld).first(),
        ).toBeUndefined();
      }
      expect(await count(knex, 'jobs')).toBe(2);

      // A second run finds nothing more.
      expect(await retention.run(NOW)).toEqual({
        jobs: 0,
        deliveries: 0,
        llmCalls: 0,
        contextDocuments: 0,
        incidents: 0,
      });
    },
  );
});
