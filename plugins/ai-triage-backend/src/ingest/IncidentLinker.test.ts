import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { UNKNOWN_SERVICE_NAME } from '@ai-triage/plugin-ai-triage-common';
import { ingestItem, testAlert } from '../__testUtils__/alerts';
import { serviceComponent } from '../__testUtils__/entities';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabaseIncidentStore } from '../database/DatabaseIncidentStore';
import { applyDatabaseMigrations } from '../database/migrations';
import { CatalogEntityResolver } from '../catalog/EntityResolver';
import { IncidentLinker } from './IncidentLinker';

jest.setTimeout(60_000);

function service(name: string, owner = 'team-a'): Entity {
  return serviceComponent(name, { serviceName: `${name}-svc`, owner });
}

function alertOf(serviceName: string, fingerprint: string) {
  return testAlert({
    fingerprint,
    labels: { alertname: 'HighErrorRate', service: serviceName },
    resource: { 'service.name': serviceName },
  });
}

describe('IncidentLinker', () => {
  const databases = createTestDatabases();

  async function incidentStore(
    databaseId: Parameters<typeof databases.init>[0],
  ) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    return DatabaseIncidentStore.create({
      knex,
      reopenWindowMs: 60_000,
      maxAttempts: 3,
    });
  }

  it.each(databases.eachSupportedId())(
    'links incidents stored unlinked once the catalog knows their service, %p',
    async databaseId => {
      const incidents = await incidentStore(databaseId);
      // The alerts arrived before the catalog had the entities.
      await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: 'early',
        alerts: [
          ingestItem(alertOf('checkout-svc', 'fp-c')),
          ingestItem(alertOf('payments-svc', 'fp-p')),
          ingestItem(alertOf(UNKNOWN_SERVICE_NAME, 'fp-u')),
        ],
      });
      expect(await incidents.listUnlinkedServiceNames(10)).toEqual([
        'checkout-svc',
        'payments-svc',
        UNKNOWN_SERVICE_NAME,
      ]);

      // Now the catalog knows checkout, not payments.
      const linker = IncidentLinker.create({
        incidents,
        entities: CatalogEntityResolver.create({
          catalog: catalogServiceMock({ entities: [service('checkout')] }),
          auth: mockServices.auth(),
        }),
        logger: mockServices.logger.mock(),
      });
      expect(await linker.linkUnlinkedIncidents()).toBe(1);

      const stored = await incidents.listIncidents({ limit: 10 });
      expect(
        Object.fromEntries(stored.map(i => [i.serviceName, i.entityRef])),
      ).toEqual({
        'checkout-svc': 'component:default/checkout',
        'payments-svc': null,
        [UNKNOWN_SERVICE_NAME]: null,
      });
      expect(await incidents.listUnlinkedServiceNames(10)).toEqual([
        'payments-svc',
        UNKNOWN_SERVICE_NAME,
      ]);
      // A second run finds nothing more to link.
      expect(await linker.linkUnlinkedIncidents()).toBe(0);
    },
  );

  it.each(databases.eachSupportedId())(
    'gets round to every unlinked service, however many the catalog does not know, %p',
    async databaseId => {
      const incidents = await incidentStore(databaseId);
      // Services unknown to the catalog sort before the one it knows.
      await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: 'early',
        alerts: ['a-svc', 'b-svc', 'c-svc', 'checkout-svc'].map(name =>
          ingestItem(alertOf(name, `fp-${name}`)),
        ),
      });
      const linker = IncidentLinker.create({
        incidents,
        entities: CatalogEntityResolver.create({
          catalog: catalogServiceMock({ entities: [service('checkout')] }),
          auth: mockServices.auth(),
        }),
        logger: mockServices.logger.mock(),
        servicesPerRun: 2,
      });
      expect(await linker.linkUnlinkedIncidents()).toBe(0); // a-svc, b-svc
      expect(await linker.linkUnlinkedIncidents()).toBe(1); // c-svc, checkout-svc
      expect(await incidents.listUnlinkedServiceNames(10)).toEqual([
        'a-svc',
        'b-svc',
        'c-svc',
      ]);
      expect(await incidents.listUnlinkedServiceNames(2, 'b-svc')).toEqual([
        'c-svc',
      ]);
    },
  );
});
