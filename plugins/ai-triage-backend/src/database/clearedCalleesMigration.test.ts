import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabaseFaultGroupStore } from './DatabaseFaultGroupStore';

jest.setTimeout(60_000);

const directory = resolvePackagePath(
  '@ai-triage/plugin-ai-triage-backend',
  'migrations',
);
const MIGRATION = '20261207004000_fault_group_cleared_callees.js';

describe(`migration ${MIGRATION}`, () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'reads a group stored before as one that ruled nothing out, and goes back down, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await knex.migrate.latest({ directory });
      await knex.migrate.down({ directory, name: MIGRATION });
      expect(
        await knex.schema.hasColumn('fault_groups', 'cleared_callees'),
      ).toBe(false);
      const now = new Date();
      // A group as the store wrote it before.
      await knex('fault_groups').insert({
        id: 'group-old',
        origin: 'orders-db',
        origin_entity_ref: null,
        lead_incident_id: 'incident-old',
        method: 'localization',
        services: JSON.stringify(['inventory', 'orders-db']),
        path: JSON.stringify(['inventory', 'orders-db']),
        first_seen_at: now,
        last_seen_at: now,
        created_at: now,
        updated_at: now,
      });

      await knex.migrate.up({ directory, name: MIGRATION });
      const store = DatabaseFaultGroupStore.create({ knex });
      const group = await store.decide(tx => tx.group('group-old'));
      expect(group).toMatchObject({
        origin: 'orders-db',
        path: ['inventory', 'orders-db'],
        clearedCallees: [],
      });
      await store.decide(tx =>
        tx.saveGroup({ ...group!, clearedCallees: ['carrier-api'] }),
      );
      expect(
        (await store.decide(tx => tx.group('group-old')))!.clearedCallees,
      ).toEqual(['carrier-api']);

      await knex.migrate.down({ directory, name: MIGRATION });
      expect(
        await knex.schema.hasColumn('fault_groups', 'cleared_callees'),
      ).toBe(false);
      expect(await knex('fault_groups').count({ n: '*' })).toEqual([
        { n: databaseId === 'SQLITE_3' ? 1 : '1' },
      ]);
    },
  );
});
