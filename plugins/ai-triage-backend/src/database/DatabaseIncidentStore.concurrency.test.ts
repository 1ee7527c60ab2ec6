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
