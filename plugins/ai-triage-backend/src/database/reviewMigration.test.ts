import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { createTestDatabases } from '../__testUtils__/testDatabases';

jest.setTimeout(60_000);

const directory = resolvePackagePath(
  '@ai-triage/plugin-ai-triage-backend',
  'migrations',
);
const MIGRATION = '20261124000400_review.js';

describe(`migration ${MIGRATION}`, () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'adds the corrected components and steps to reviews and removes them again, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      // Every migration before this one.
      const [, pending] = await knex.migrate.list({ directory });
      const before = pending
        .map((m: { file: string }) => m.file)
        .filter((file: string) => file < MIGRATION);
      for (let i = 0; i < before.length; i++) {
        await knex.migrate.up({ directory });
      }
      expect(
        await knex.schema.hasColumn('reviews', 'modified_diagnostic_steps'),
      ).toBe(false);

      await knex.migrate.up({ directory, name: MIGRATION });
      expect(
        await knex.schema.hasColumn('reviews', 'modified_affected_components'),
      ).toBe(true);
      expect(
        await knex.schema.hasColumn('reviews', 'modified_diagnostic_steps'),
      ).toBe(true);

      await knex.migrate.down({ directory, name: MIGRATION });
      expect(
        await knex.schema.hasColumn('reviews', 'modified_affected_components'),
      ).toBe(false);
      expect(await knex.schema.hasColumn('reviews', 'comment')).toBe(true);
    },
  );
});
