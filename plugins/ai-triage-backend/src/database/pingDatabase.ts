import { Knex } from 'knex';

/** One round trip to the database (the readiness check's); rejects when it is unreachable. */
export async function pingDatabase(knex: Knex): Promise<void> {
  await knex.raw('select 1');
}
