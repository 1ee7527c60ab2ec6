// A throwaway PostgreSQL server on loopback for tests and benchmarks: Debian's PostgreSQL (the
// newest version under /usr/lib/postgresql) in a temporary folder, on a free port, trusted local
// logins. Used by scripts/test.mjs and plugins/ai-triage-backend/scripts/benchIngest.ts.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort.mjs';

/** The bin folder of the newest installed PostgreSQL, or undefined when there is none. */
export function findPostgresBin() {
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

/**
 * Starts PostgreSQL in a new temporary folder and returns its connection URL and a stop function
 * (which also deletes the folder), or undefined when PostgreSQL is not installed.
 * `settings` become `-c name=value` server options (e.g. { fsync: 'off' }).
 */
export async function startPostgres(options = {}) {
  const bin = findPostgresBin();
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'ai-triage-pg-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  // initdb refuses to run as root, so the server runs as the postgres user the package creates.
  // runuser lives in /usr/sbin, which a non-login PATH may lack.
  const runuser = existsSync('/usr/sbin/runuser')
    ? '/usr/sbin/runuser'
    : 'runuser';
  const exec = (tool, args) => {
    const [cmd, ...rest] =
      process.getuid?.() === 0
        ? [runuser, '-u', 'postgres', '--', join(bin, tool), ...args]
        : [join(bin, tool), ...args];
    const result = spawnSync(cmd, rest, {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (result.status !== 0) {
      throw new Error(
        `${cmd} ${rest.join(' ')} failed: ${
          result.error?.message ?? `exit status ${result.status}`
        }`,
      );
    }
  };
  const data = join(dir, 'data');
  exec('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
  ]);
  const settings = { max_connections: '200', ...options.settings };
  const serverOptions = [
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`,
    ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');
  exec('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-w',
    'start',
    '-o',
    serverOptions,
  ]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}`,
    dir,
    stop() {
      exec('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
