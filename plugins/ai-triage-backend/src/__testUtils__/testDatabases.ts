import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';

const POSTGRES_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';

/**
 * The databases store tests run on: SQLite always, PostgreSQL when a server is given through
 * BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING (`npm test` starts one on loopback).
 * In CI PostgreSQL is required, so a missing server fails the run instead of skipping.
 */
export function testDatabaseIds(): TestDatabaseId[] {
  if (process.env[POSTGRES_ENV]) {
    return ['SQLITE_3', 'POSTGRES_16'];
  }
  if (process.env.CI) {
    throw new Error(
      `${POSTGRES_ENV} is not set: CI runs every store test on PostgreSQL too (use npm test)`,
    );
  }
  // eslint-disable-next-line no-console
  console.warn(
    `${POSTGRES_ENV} not set: PostgreSQL store tests skipped (npm test starts one)`,
  );
  return ['SQLITE_3'];
}

export function createTestDatabases(): TestDatabases {
  return TestDatabases.create({ ids: testDatabaseIds(), disableDocker: true });
}
