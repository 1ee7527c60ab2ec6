import { createTestDatabases } from '../__testUtils__/testDatabases';
import { ingestItem, testAlert } from '../__testUtils__/alerts';
import { applyDatabaseMigrations } from './migrations';
import { DatabaseIncidentStore } from './DatabaseIncidentStore';
import { IngestDelivery } from './IncidentStore';

jest.setTimeout(120_000);

describe('DatabaseIncidentStore under concurrent deliveries', () => {
  const databases = createTestDatabases();

  async function setup(id: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(id);
    await applyDatabaseMigrations(knex);
    const store = DatabaseIncidentStore.create({
      knex,
      reopenWindowMs: 3_600_000,
      maxAttempts: 3,
    });
    return { knex, store };
  }

  it.each(databases.eachSupportedId())(
    'reopens a resolved incident once, with one enrich job, when re-fires race, %p',
    async databaseId => {
      const { knex, store } = await setup(databaseId);
      const opened = await store.ingest({
        source: 'alertmanager',
        deliveryKey: 'fire',
        alerts: [ingestItem(testAlert())],
      });
      await store.ingest({
        source: 'alertmanager',
        deliveryKey: 'resolve',
        alerts: [ingestItem(testAlert({ status: 'resolved' }))],
      });
      expect(await store.getIncident(opened.incidentIds[0])).toMatchObject({
        status: 'resolved',
      });

      for (let round = 0; round < 3; round++) {
        const refires = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            store.ingest({
              source: 'alertmanager',
              deliveryKey: `refire-${round}-${i}`,
              alerts: [ingestItem(testAlert({ fingerprint: `fp-${i}` }))],
            }),
          ),
        );
        expect(refires.flatMap(r => r.incidentIds)).toEqual(
          Array(8).fill(opened.incidentIds[0]),
        );
        expect(refires.flatMap(r => r.triagedIncidentIds)).toEqual([
          opened.incidentIds[0],
        ]);
        // Resolve every alert again for the next round.
        await store.ingest({
          source: 'alertmanager',
          deliveryKey: `resolve-${round}`,
          alerts: Array.from({ length: 8 }, (_, i) =>
            ingestItem(
              testAlert({ fingerprint: `fp-${i}`, status: 'resolved' }),
            ),
          ),
        });
      }

      const jobs = await knex('jobs').where({ type: 'enrich' });
      expect(jobs).toHaveLength(1 + 3);
      expect(Number((await knex('incidents').count({ n: '*' }))[0].n)).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'converges when 8 senders open overlapping new incidents at once, from many connections, %p',
    async databaseId => {
      const { knex, store } = await setup(databaseId);
      // 8 senders, 5 deliveries each, in sequence per sender and all senders at once, as the
      // Alertmanager groups of one spreading outage: each delivery names 20 services of a window
      // that slides over 80, so most deliveries open incidents that others open at the same
      // moment. Before, the losers of the `active_key` race were retried three times without
      // backoff and then answered 500.
      const rounds = 10;
      const senders = 8;
      const failures: unknown[] = [];
      await Promise.all(
        Array.from({ length: senders }, async (_, d) => {
          for (let round = 0; round < rounds; round++) {
            try {
              await store.ingest({
                source: 'alertmanager',
                deliveryKey: `sender-${d}-round-${round}`,
                alerts: Array.from({ length: 30 }, (__, a) => {
                  const service = `svc-${round}-${
                    (d * 7 + a * 13 + round) % 29
                  }`;
                  // Alerts shared by senders, in a different order per sender.
                  const fingerprint = `fp-${service}-${(a + d) % 3}`;
                  return ingestItem(
                    testAlert({
                      fingerprint,
                      name: 'HighErrorRate',
                      resource: { 'service.name': service },
                      labels: { service },
                    }),
                  );
                }),
              });
            } catch (error) {
              failures.push(error);
            }
          }
        }),
      );
      expect(failures).toEqual([]);
      const openIncidents = await knex('incidents').where({ status: 'open' });
      // One incident per service, each with exactly one enrich job.
      expect(new Set(openIncidents.map(i => i.correlation_key)).size).toBe(
        openIncidents.length,
      );
      const jobs: Array<{ incident_id: string }> = await knex('jobs');
      expect(jobs.map(j => j.incident_id).sort()).toEqual(
        openIncidents.map(i => i.id).sort(),
      );
      expect(Number((await knex('deliveries').count({ n: '*' }))[0].n)).toBe(
        rounds * senders,
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'joins incidents that other replicas open while it waits, in one attempt, %p',
    async databaseId => {
      if (!databaseId.startsWith('POSTGRES')) {
        return; // SQLite serializes writers: no transaction waits on another's row.
      }
      const { knex, store } = await setup(databaseId);
      const services = ['a', 'b', 'c', 'd', 'e'];
      // In the order the store inserts them (by correlation key), so each commit frees the row
      // the delivery waits on.
      const items = services
        .map(service =>
          ingestItem(
            testAlert({
              fingerprint: `fp-${service}`,
              resource: { 'service.name': service },
              labels: { service },
            }),
          ),
        )
        .sort((x, y) => (x.correlationKey < y.correlationKey ? -1 : 1));
      // Other replicas open the incidents of every key, each in a transaction still open when
      // the delivery arrives; they commit one after another while the delivery waits. Before,
      // every commit cost the delivery an attempt and the fourth one a 500.
      const now = new Date();
      const others = await Promise.all(
        items.map(async item => {
          const tx = await knex.transaction();
          const id = `other-${item.alert.resource['service.name']}`;
          await tx('incidents').insert({
            id,
            correlation_key: item.correlationKey,
            active_key: item.correlationKey,
            title: 'opened by another replica',
            service_name: item.alert.resource['service.name'],
            severity: 'warning',
            status: 'open',
            triage_state: 'pending',
            first_seen_at: now,
            last_seen_at: now,
            updated_at: now,
          });
          return { tx, id };
        }),
      );
      const delivery = store.ingest({
        source: 'alertmanager',
        deliveryKey: 'while-others-open',
        alerts: items,
      });
      const settled = delivery.then(
        () => 'done',
        () => 'failed',
      );
      for (const other of others) {
        await new Promise(resolve => setTimeout(resolve, 150));
        await other.tx.commit();
      }
      await settled;
      const result = await delivery;
      expect(result.incidentIds.sort()).toEqual(others.map(o => o.id).sort());
      // The other replicas opened them, so they enqueue the triage, not this delivery.
      expect(result.triagedIncidentIds).toEqual([]);
      expect(Number((await knex('incidents').count({ n: '*' }))[0].n)).toBe(5);
      const alerts: Array<{ incident_id: string }> = await knex('alerts');
      expect(alerts.map(a => a.incident_id).sort()).toEqual(
        others.map(o => o.id).sort(),
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'loses and doubles nothing when many deliveries (and re-deliveries) arrive at once, %p',
    async databaseId => {
      const { knex, store } = await setup(databaseId);
      const services = ['cart', 'checkout', 'payments', 'search', 'users'];
      const deliveries: IngestDelivery[] = Array.from(
        { length: 24 },
        (_, d) => ({
          source: 'alertmanager',
          deliveryKey: `delivery-${d}`,
          alerts: Array.from({ length: 25 }, (__, a) => {
            const service = services[(d + a) % services.length];
            return ingestItem(
              testAlert({
                // Deliveries overlap: delivery d repeats half of delivery d-1's fingerprints.
                fingerprint: `fp-${Math.floor(d / 2)}-${a}`,
                name: `HighErrorRate-${a % 3}`,
                resource: { 'service.name': service },
                labels: { service, delivery: String(d) },
              }),
            );
          }),
        }),
      );
      // Every delivery twice, all at once: the second copy of each must be a no-op.
      const results = await Promise.all(
        [...deliveries, ...deliveries].map(delivery => store.ingest(delivery)),
      );
      expect(results.filter(r => r.duplicate)).toHaveLength(24);

      const expectedAlerts = new Set<string>();
      const expectedIncidents = new Set<string>();
      for (const delivery of deliveries) {
        for (const item of delivery.alerts) {
          expectedIncidents.add(item.correlationKey);
          expectedAlerts.add(
            `${item.correlationKey}/${item.alert.fingerprint}`,
          );
        }
      }
      const count = async (table: string) =>
        Number((await knex(table).count({ n: '*' }))[0].n);
      expect(await count('deliveries')).toBe(24);
      expect(await count('incidents')).toBe(expectedIncidents.size);
      expect(await count('alerts')).toBe(expectedAlerts.size);
      // One enrich job per incident, whichever delivery opened it.
      const jobs: Array<{ incident_id: string }> = await knex('jobs').where({
        type: 'enrich',
      });
      expect(jobs).toHaveLength(expectedIncidents.size);
      expect(new Set(jobs.map(j => j.incident_id)).size).toBe(
        expectedIncidents.size,
      );
      // Every alert landed in the incident of its correlation key.
      const stored: Array<{ correlation_key: string; fingerprint: string }> =
        await knex('alerts')
          .join('incidents', 'incidents.id', 'alerts.incident_id')
          .select('incidents.correlation_key', 'alerts.fingerprint');
      expect(
        new Set(stored.map(s => `${s.correlation_key}/${s.fingerprint}`)),
      ).toEqual(expectedAlerts);
    },
  );
});
