import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import knexFactory, { Knex } from 'knex';

export type Target = {
  database: string;
  /** A fresh, empty database; `close` drops it. */
  open(): Promise<{ knex: Knex; close(): Promise<void> }>;
};

/** SQLite in memory, or in a file in a temporary folder (as a single-node install keeps it). */
export function sqliteTarget(storage: 'memory' | 'file'): Target {
  return {
    database: `sqlite (better-sqlite3, ${storage})`,
    async open() {
      const dir =
        storage === 'file'
          ? mkdtempSync(join(tmpdir(), 'ai-triage-bench-sqlite-'))
          : undefined;
      const knex = knexFactory({
        client: 'better-sqlite3',
        connection: dir
          ? { filename: join(dir, 'ai-triage.sqlite') }
          : ':memory:',
        useNullAsDefault: true,
      });
      return {
        knex,
        async close() {
          await knex.destroy();
          if (dir) {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    },
  };
}

export function postgresTarget(url: string): Target {
  const admin = knexFactory({ client: 'pg', connection: url });
  return {
    database: 'postgresql',
    async open() {
      const name = `bench_ingest_${randomUUID()
        .replace(/-/g, '')
        .slice(0, 12)}`;
      await admin.raw('create database ??', [name]);
      const connection = new URL(url);
      connection.pathname = `/${name}`;
      const knex = knexFactory({
        client: 'pg',
        connection: connection.toString(),
        pool: { min: 0, max: 20 },
      });
      return {
        knex,
        async close() {
          await knex.destroy();
          await admin.raw('drop database if exists ?? with (force)', [name]);
        },
      };
    },
  };
}

export async function count(knex: Knex, table: string): Promise<number> {
  const [row] = await knex(table).count({ n: '*' });
  return Number(row.n);
}
