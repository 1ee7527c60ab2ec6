#!/usr/bin/env node
// Runs every test of the repository. Tests that need PostgreSQL get a real server: this script
// starts Debian's PostgreSQL on loopback in a temporary folder (unless
// BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING already points at one), runs
// `backstage-cli repo test`, and stops the server again. Extra arguments go to the test runner.
// Then, without extra arguments, it runs the end-to-end browser test (e2e/portal.e2e.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres } from './lib/postgres.mjs';

const PG_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';

async function startTestPostgres() {
  const postgres = await startPostgres({ settings: { fsync: 'off' } });
  if (!postgres) {
    if (process.env.CI) {
      throw new Error(
        'PostgreSQL is not installed (apt-get install postgresql); CI needs it',
      );
    }
    console.warn(
      'PostgreSQL not found under /usr/lib/postgresql: store tests run on SQLite only',
    );
    return undefined;
  }
  console.log(`PostgreSQL started at ${postgres.url} (${postgres.dir})`);
  return postgres;
}

const postgres = process.env[PG_ENV] ? undefined : await startTestPostgres();
const env = { ...process.env, ...(postgres ? { [PG_ENV]: postgres.url } : {}) };
const cli = join(process.cwd(), 'node_modules', '.bin', 'backstage-cli');
// --watchAll=false: a single run, also outside CI (where the CLI would default to watch mode).
const child = spawn(
  cli,
  ['repo', 'test', '--watchAll=false', ...process.argv.slice(2)],
  { stdio: 'inherit', env },
);
const stopAndExit = code => {
  try {
    postgres?.stop();
  } finally {
    process.exit(code);
  }
};
process.on('SIGINT', () => child.kill('SIGINT'));
process.on('SIGTERM', () => child.kill('SIGTERM'));

// After the unit tests: the end-to-end browser test (e2e/portal.e2e.mjs) with Debian's Chromium.
// Skipped when a test pattern was given; outside CI also when Chromium is not installed.
function runEndToEnd() {
  if (process.argv.length > 2) {
    return 0;
  }
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromium) && !process.env.CI) {
    console.warn(
      `${chromium} not found: end-to-end browser test skipped (apt-get install chromium)`,
    );
    return 0;
  }
  const e2e = spawnSync(process.execPath, ['e2e/portal.e2e.mjs'], {
    stdio: 'inherit',
    env,
  });
  return e2e.status ?? 1;
}

child.on('exit', code => stopAndExit(code === 0 ? runEndToEnd() : code ?? 1));
