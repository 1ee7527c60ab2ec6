#!/usr/bin/env node
// Runs every test of the repository. Tests that need PostgreSQL get a real server: this script
// starts Debian's PostgreSQL on loopback in a temporary folder (unless
// BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING already points at one), runs
// `backstage-cli repo test`, and stops the server again. Extra arguments go to the test runner.
// Then, without extra arguments, it runs the end-to-end browser test (e2e/portal.e2e.mjs).
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

const PG_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';

function findPostgresBin() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')))
      return bin;
  }
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status}`);
  }
}

async function startPostgres() {
  const bin = findPostgresBin();
  if (!bin) {
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
  const dir = mkdtempSync(join(tmpdir(), 'ai-triage-pg-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  // initdb refuses to run as root, so the server runs as the postgres user the package creates.
  const exec = (tool, args) => {
    const [cmd, ...rest] =
      process.getuid?.() === 0
        ? ['runuser', '-u', 'postgres', '--', join(bin, tool), ...args]
        : [join(bin, tool), ...args];
    run(cmd, rest, { stdio: ['ignore', 'ignore', 'inherit'] });
  };
  exec('initdb', [
    '-D',
    join(dir, 'data'),
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
  ]);
  exec('pg_ctl', [
    '-D',
    join(dir, 'data'),
    '-l',
    join(dir, 'server.log'),
    '-w',
    'start',
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c max_connections=200 -c fsync=off`,
  ]);
  console.log(`PostgreSQL started on 127.0.0.1:${port} (${dir})`);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}`,
    stop() {
      exec('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const postgres = process.env[PG_ENV] ? undefined : await startPostgres();
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
