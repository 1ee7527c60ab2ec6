import { Knex } from 'knex';

/** PostgreSQL takes row locks (`FOR UPDATE [SKIP LOCKED]`); SQLite serializes writers instead. */
export function isPostgres(knex: Knex): boolean {
  return knex.client.config.client === 'pg';
}
