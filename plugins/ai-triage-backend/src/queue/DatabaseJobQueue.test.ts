import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { ingestItem, testAlert } from '../__testUtils__/alerts';
import { applyDatabaseMigrations } from '../database/migrations';
import { DatabaseIncidentStore } from '../database/DatabaseIncidentStore';
import { DatabaseJobQueue, backoffMs } from './DatabaseJobQueue';

jest.setTimeout(60_000);

describe('DatabaseJobQueue', () => {
  const databases = createTestDatabases();

  async function setup(
    databaseId: Parameters<typeof databases.init>[0],
    incidents = 1,
  ) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    const store = DatabaseIncidentStore.create({
      knex,
      reopenWindowMs: 1,
      maxAttempts: 2,
    });
    for (let i = 0; i < incidents; i++) {
      await store.ingest({
        source: 'alertmanager',
        deliveryKey: `d${i}`,
        alerts: [ingestItem(testAlert({ name: `Alert${i}` }))],
      });
    }
    // As the pipeline factory wires it: the incident store fails a dead job's triage.
    const queue = DatabaseJobQueue.create({
      knex,
      onDeadLetter: (job, tx, at) =>
        store.setTriageState(job.incidentId, 'failed', tx, at),
    });
    return { knex, incidents: store, queue };
  }

  async function expireLeases(knex: Knex) {
    await knex('jobs')
      .where('status', 'running')
      .update({ lease_expires_at: new Date(Date.now() - 1000) });
  }

  it.each(databases.eachSupportedId())(
    'claims a job once, completes it, and reports depth, %p',
    async databaseId => {
      const { queue } = await setup(databaseId);
      expect(await queue.stats()).toMatchObject({ depth: 1, dead: 0 });
      const job = await queue.claim('w1', 60_000);
      expect(job).toMatchObject({
        type: 'enrich',
        status: 'running',
        attempts: 1,
        leaseOwner: 'w1',
      });
      expect(await queue.claim('w2', 60_000)).toBeUndefined();
      expect(await queue.stats()).toMatchObject({ depth: 0, oldestAgeMs: 0 });
      expect(await queue.complete(job!, 'w1')).toBe(true);
      expect((await queue.listJobs({ limit: 5 }))[0].status).toBe('done');
    },
  );

  it.each(databases.eachSupportedId())(
    'returns a job whose lease expired to another worker, and fences the old one, %p',
    async databaseId => {
      const { queue, knex } = await setup(databaseId);
      const first = await queue.claim('crashed', 60_000);
      await expireLeases(knex);
      const second = await queue.claim('w2', 60_000);
      expect(second).toMatchObject({
        id: first!.id,
        attempts: 2,
        leaseOwner: 'w2',
      });
      expect(await queue.complete(first!, 'crashed')).toBe(false);
      expect(await queue.complete(second!, 'w2')).toBe(true);
    },
  );

  it.each(databases.eachSupportedId())(
    'retries a failed job after a backoff and marks it dead after the last attempt, %p',
    async databaseId => {
      const { queue, knex } = await setup(databaseId);
      const job = await queue.claim('w1', 60_000);
      await queue.fail(job!, 'w1', new Error('provider exploded'));
      const [retrying] = await queue.listJobs({ limit: 1 });
      expect(retrying).toMatchObject({
        status: 'queued',
        lastError: 'Error: provider exploded',
      });
      expect(Date.parse(retrying.runAfter)).toBeGreaterThan(Date.now());
      expect(await queue.claim('w1', 60_000)).toBeUndefined();

      await knex('jobs').update({ run_after: new Date(Date.now() - 1) });
      const again = await queue.claim('w1', 60_000);
      expect(again!.attempts).toBe(2);
      await queue.fail(again!, 'w1', new Error('still broken'));
      expect(await queue.listJobs({ status: 'dead', limit: 5 })).toEqual([
        expect.objectContaining({
          id: job!.id,
          lastError: 'Error: still broken',
        }),
      ]);
      expect(await queue.stats()).toMatchObject({ depth: 0, dead: 1 });
    },
  );

  it.each(databases.eachSupportedId())(
    'marks a job dead when its lease expires on the last attempt, %p',
    async databaseId => {
      const { queue, knex, incidents } = await setup(databaseId);
      const first = await queue.claim('w1', 60_000);
      await expireLeases(knex);
      await queue.claim('w2', 60_000);
      await expireLeases(knex);
      expect(await queue.claim('w3', 60_000)).toBeUndefined();
      const [dead] = await queue.listJobs({ status: 'dead', limit: 1 });
      expect(dead.lastError).toMatch(
        /lease of w2 expired on the last attempt \(2\/2\)/,
      );
      // The worker that died cannot report it: the incident's triage shows failed all the same.
      expect(
        (await incidents.getIncident(first!.incidentId))!.triageState,
      ).toBe('failed');
    },
  );

  it.each(databases.eachSupportedId())(
    'never hands one job to two concurrent claimers, %p',
    async databaseId => {
      const { queue } = await setup(databaseId, 8);
      const claims = await Promise.all(
        Array.from({ length: 16 }, (_, i) => queue.claim(`w${i}`, 60_000)),
      );
      const ids = claims.filter(Boolean).map(job => job!.id);
      expect(ids).toHaveLength(8);
      expect(new Set(ids).size).toBe(8);
    },
  );

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffMs(1, () => 0)).toBe(1000);
    expect(backoffMs(1, () => 1)).toBe(2000);
    expect(backoffMs(3, () => 1)).toBe(8000);
    expect(backoffMs(30, () => 1)).toBe(300_000);
  });

  it('wakes listeners on enqueue', async () => {
    const { queue } = await setup('SQLITE_3', 0);
    const listener = jest.fn();
    const unsubscribe = queue.onEnqueued(listener);
    queue.notifyEnqueued();
    unsubscribe();
    queue.notifyEnqueued();
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
