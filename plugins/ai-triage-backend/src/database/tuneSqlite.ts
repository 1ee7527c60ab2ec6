import { Knex } from 'knex';

type PoolEvents = {
  on(
    event: 'createSuccess',
    listener: (
      id: unknown,
      connection: { exec?: (sql: string) => unknown },
    ) => void,
  ): void;
};

/**
 * On a SQLite file, switches the journal to write-ahead logging with `synchronous = NORMAL`:
 * a commit then appends to the log without waiting for the disk, which is synced at
 * checkpoints. With the default rollback journal every commit (each job claim, outcome and
 * state change) waited for an fsync, and that capped the whole pipeline at a few incidents a
 * second (`npm run bench:pipeline`, README). A crash of the machine (not of the process) can
 * lose the last commits before a checkpoint; use PostgreSQL where that matters. Does nothing
 * on PostgreSQL or an in-memory database.
 */
export async function tuneSqlite(knex: Knex): Promise<void> {
  const client = String(knex.client.config.client);
  if (!client.includes('sqlite')) {
    return;
  }
  const filename = (knex.client.config.connection as { filename?: string })
    ?.filename;
  if (!filename || filename === ':memory:') {
    return;
  }
  await knex.raw('PRAGMA journal_mode = WAL');
  // synchronous is per connection: set it on this one and on any the pool opens later.
  await knex.raw('PRAGMA synchronous = NORMAL');
  (knex.client as { pool?: PoolEvents }).pool?.on(
    'createSuccess',
    (_id: unknown, connection: { exec?: (sql: string) => unknown }) => {
      connection.exec?.('PRAGMA synchronous = NORMAL');
    },
  );
}
