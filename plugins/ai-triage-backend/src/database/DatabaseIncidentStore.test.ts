import { createTestDatabases } from '../__testUtils__/testDatabases';
import { applyDatabaseMigrations } from './migrations';
import { DatabaseIncidentStore } from './DatabaseIncidentStore';
import { DatabaseJobQueue } from '../queue/DatabaseJobQueue';
import { ingestItem, testAlert } from '../__testUtils__/alerts';

jest.setTimeout(60_000);

describe('DatabaseIncidentStore', () => {
  const databases = createTestDatabases();

  async function setup(
    id: Parameters<typeof databases.init>[0],
    reopenWindowMs = 3_600_000,
  ) {
    const knex = await databases.init(id);
    await applyDatabaseMigrations(knex);
    return {
      knex,
      store: DatabaseIncidentStore.create({
        knex,
        reopenWindowMs,
        maxAttempts: 3,
      }),
      queue: DatabaseJobQueue.create({ knex }),
    };
  }

  it.each(databases.eachSupportedId())(
    'opens an incident with its alerts and an enrich job in one delivery, %p',
    async databaseId => {
      const { store, queue } = await setup(databaseId);
      const result = await store.ingest({
        source: 'alertmanager',
        deliveryKey: 'd1',
        alerts: [
          ingestItem(testAlert(), 'component:default/checkout'),
          ingestItem(testAlert({ fingerprint: 'fp-2', severity: 'critical' })),
        ],
      });
      expect(result.duplicate).toBe(false);
      expect(result.incidentIds).toHaveLength(1);
      expect(result.triagedIncidentIds).toEqual(result.incidentIds);

      const incident = await store.getIncident(result.incidentIds[0]);
      expect(incident).toMatchObject({
        title: 'CheckoutHighLatency on checkout',
        entityRef: 'component:default/checkout',
        serviceName: 'checkout',
        namespace: 'shop',
        severity: 'critical',
        status: 'open',
        triageState: 'pending',
        alertCount: 2,
      });
      const alerts = await store.listAlerts(incident!.id);
      expect(alerts.map(a => a.fingerprint)).toEqual(['fp-1', 'fp-2']);
      expect(alerts[0].labels).toEqual({
        alertname: 'CheckoutHighLatency',
        service: 'checkout',
      });

      const jobs = await queue.listJobs({ limit: 10 });
      expect(jobs).toEqual([
        expect.objectContaining({
          type: 'enrich',
          incidentId: incident!.id,
          status: 'queued',
        }),
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'treats the same delivery twice as a no-op, %p',
    async databaseId => {
      const { store, queue, knex } = await setup(databaseId);
      const delivery = {
        source: 'alertmanager',
        deliveryKey: 'same-body',
        alerts: [ingestItem(testAlert())],
      };
      const first = await store.ingest(delivery);
      const second = await store.ingest(delivery);
      expect(second).toEqual({
        deliveryId: first.deliveryId,
        duplicate: true,
        incidentIds: first.incidentIds,
        triagedIncidentIds: [],
      });
      expect(Number((await knex('alerts').count({ n: '*' }).first())!.n)).toBe(
        1,
      );
      expect(await queue.listJobs({ limit: 10 })).toHaveLength(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'updates the same alert in place, resolves the incident, and reopens it on a re-fire, %p',
    async databaseId => {
      const { store, queue } = await setup(databaseId);
      const opened = await store.ingest({
        source: 'alertmanager',
        deliveryKey: 'fire',
        alerts: [ingestItem(testAlert())],
      });
      const id = opened.incidentIds[0];

      const resolved = await store.ingest({
        source: 'alertmanager',
        deliveryKey: 'resolve',
        alerts: [
          ingestItem(
            testAlert({
              status: 'resolved',
              endsAt: '2026-11-24T10:05:00.000Z',
            }),
          ),
        ],
      });
      expect(resolved.incidentIds).toEqual([id]);
      expect(resolved.triagedIncidentIds).toEqual([]);
      expect(await store.getIncident(id)).toMatchObject({
        status: 'resolved',
        alertCount: 1,
      });
      expect((await store.listAlerts(id))[0]).toMatchObject({
        status: 'resolved',
        endsAt: '2026-11-24T10:05:00.000Z',
      });

      const refired = await store.ingest({
        source: 'alertmanager',
        deliveryKey: 'refire',
        alerts: [
          ingestItem(testAlert({ startsAt: '2026-11-24T10:20:00.000Z' })),
        ],
      });
      expect(refired.incidentIds).toEqual([id]);
      expect(refired.triagedIncidentIds).toEqual([id]);
      expect(await store.getIncident(id)).toMatchObject({
        status: 'open',
        triageState: 'pending',
        alertCount: 1,
      });
      expect(await queue.listJobs({ incidentId: id, limit: 10 })).toHaveLength(
        2,
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'opens a new incident when a re-fire comes after the reopen window, %p',
    async databaseId => {
      const { store } = await setup(databaseId, 1);
      const first = await store.ingest({
        source: 'alertmanager',
        deliveryKey: 'a',
        alerts: [ingestItem(testAlert())],
      });
      await store.ingest({
        source: 'alertmanager',
        deliveryKey: 'b',
        alerts: [ingestItem(testAlert({ status: 'resolved' }))],
      });
      await new Promise(resolve => setTimeout(resolve, 5));
      const again = await store.ingest({
        source: 'alertmanager',
        deliveryKey: 'c',
        alerts: [ingestItem(testAlert())],
      });
      expect(again.incidentIds[0]).not.toEqual(first.incidentIds[0]);
      expect(await store.listIncidents({ limit: 10 })).toHaveLength(2);
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps different causes apart and lists by entity or by service for unlinked incidents, %p',
    async databaseId => {
      const { store } = await setup(databaseId);
      await store.ingest({
        source: 'alertmanager',
        deliveryKey: 'x',
        alerts: [
          ingestItem(testAlert(), 'component:default/checkout'),
          ingestItem(
            testAlert({ name: 'CheckoutErrors', fingerprint: 'fp-9' }),
          ),
          ingestItem(
            testAlert({
              name: 'PaymentsDown',
              fingerprint: 'fp-3',
              resource: { 'service.name': 'payments' },
            }),
          ),
        ],
      });
      expect(await store.listIncidents({ limit: 10 })).toHaveLength(3);
      const byEntity = await store.listIncidents({
        entityRef: 'component:default/checkout',
        limit: 10,
      });
      expect(byEntity.map(i => i.title)).toEqual([
        'CheckoutHighLatency on checkout',
      ]);
      const withUnlinked = await store.listIncidents({
        entityRef: 'component:default/checkout',
        serviceNames: ['checkout'],
        limit: 10,
      });
      expect(withUnlinked.map(i => i.title).sort()).toEqual([
        'CheckoutErrors on checkout',
        'CheckoutHighLatency on checkout',
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'loses and doubles nothing under concurrent deliveries of the same alerts, %p',
    async databaseId => {
      const { store, queue } = await setup(databaseId);
      const deliveries = Array.from({ length: 12 }, (_, i) => ({
        source: 'alertmanager',
        deliveryKey: `concurrent-${i % 6}`,
        alerts: [
          ingestItem(testAlert({ fingerprint: `fp-${i % 6}` })),
          ingestItem(testAlert({ fingerprint: 'shared' })),
        ],
      }));
      const results = await Promise.all(deliveries.map(d => store.ingest(d)));
      expect(results.filter(r => !r.duplicate)).toHaveLength(6);
      expect(new Set(results.flatMap(r => r.incidentIds)).size).toBe(1);
      const [incident] = await store.listIncidents({ limit: 10 });
      expect(incident.alertCount).toBe(7);
      expect(await queue.listJobs({ limit: 10 })).toHaveLength(1);
    },
  );
});
