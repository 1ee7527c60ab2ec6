#!/usr/bin/env node
// Runs one lab scenario live, or records it:
//   npm run lab -- SCENARIO [--target URL] [--token TOKEN] [--otlp-endpoint URL]
//                           [--rate N] [--healthy SECONDS] [--fault SECONDS]
//   npm run lab:record -- SCENARIO [same options; without --target nothing is forwarded]
//   npm run lab:record -- --all [--missing]   (every scenario, two at a time; --missing: only
//                                              those without a recording)
//   npm run lab -- --list
// Defaults: target http://localhost:7007 (a backend started with `npm start`), token
// ai-triage-local-dev-token (app-config.yaml's external-access token).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SCENARIOS, scenarioByName, truthOf } from './faults.mjs';
import { runLab } from './lib/runner.mjs';

const args = process.argv.slice(2);
function option(name) {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
}
function flag(name) {
  const i = args.indexOf(name);
  if (i !== -1) args.splice(i, 1);
  return i !== -1;
}
const seconds = value =>
  value === undefined ? undefined : Number(value) * 1000;

if (flag('--list')) {
  for (const s of SCENARIOS)
    console.log(`${s.name.padEnd(30)} ${s.description}`);
  process.exit(0);
}
const record = flag('--record');
const recordingsDir = join(
  dirname(fileURLToPath(import.meta.url)),
  'recordings',
);

if (flag('--retruth')) {
  // Rewrites the truth record of every recording from faults.mjs (origin, kind, evidence, first
  // alert and hops), without recording again.
  for (const file of readdirSync(recordingsDir).filter(f =>
    f.endsWith('.json.gz'),
  )) {
    const path = join(recordingsDir, file);
    const recording = JSON.parse(
      gunzipSync(readFileSync(path)).toString('utf8'),
    );
    const truth = truthOf(
      scenarioByName(recording.scenario),
      recording.requests,
      Date.parse(recording.recordedAt) + recording.timeline.faultAt,
    );
    if (JSON.stringify(truth) === JSON.stringify(recording.truth)) continue;
    recording.truth = truth;
    writeFileSync(path, gzipSync(JSON.stringify(recording), { level: 9 }));
    console.log(
      `${file}: first alert ${truth.firstAlertingService}, ${truth.hops} hops`,
    );
  }
  process.exit(0);
}

if (flag('--all')) {
  // Two runs at a time (each runs eight processes plus PostgreSQL, Prometheus, Alertmanager),
  // the second 40 s later so that start-ups do not collide.
  const missingOnly = flag('--missing');
  const queue = SCENARIOS.map(s => s.name).filter(
    n => !missingOnly || !existsSync(join(recordingsDir, `${n}.json.gz`)),
  );
  const failures = [];
  const worker = async delayMs => {
    await new Promise(r => setTimeout(r, delayMs));
    for (let n = queue.shift(); n; n = queue.shift()) {
      const child = spawn(
        process.execPath,
        [
          fileURLToPath(import.meta.url),
          n,
          ...(record ? ['--record'] : []),
          ...args,
        ],
        {
          stdio: 'inherit',
        },
      );
      const code = await new Promise(r => child.on('exit', r));
      if (code !== 0) failures.push(n);
    }
  };
  await Promise.all([worker(0), worker(40_000)]);
  if (failures.length) console.error(`failed: ${failures.join(', ')}`);
  process.exit(failures.length ? 1 : 0);
}

const target =
  option('--target') ?? (record ? undefined : 'http://localhost:7007');
const rate = option('--rate');
const options = {
  target,
  token: option('--token') ?? 'ai-triage-local-dev-token',
  otlpEndpoint: option('--otlp-endpoint'),
  rate: rate === undefined ? undefined : Number(rate),
  healthyMs: seconds(option('--healthy')),
  faultMs: seconds(option('--fault')),
};
const out = option('--out');
const [name] = args;
if (!name) {
  console.error(
    'usage: npm run lab -- SCENARIO [--target URL] (npm run lab -- --list for the scenarios)',
  );
  process.exit(2);
}

const started = Date.now();
const log = message =>
  console.log(
    `[lab ${name} +${Math.round((Date.now() - started) / 1000)}s] ${message}`,
  );
try {
  const result = await runLab({ scenario: name, record, log, ...options });
  log(
    `proxy: ${result.stats.proxy.requests} requests, ${
      result.stats.proxy.forwardFailures
    } forward failures${
      result.stats.proxy.lastError
        ? ` (last: ${result.stats.proxy.lastError})`
        : ''
    }`,
  );
  if (record) {
    const file =
      out ??
      join(
        dirname(fileURLToPath(import.meta.url)),
        'recordings',
        `${name}.json.gz`,
      );
    const gz = gzipSync(JSON.stringify(result.recording), { level: 9 });
    writeFileSync(file, gz);
    const webhooks = result.recording.requests.filter(r =>
      r.path.includes('/webhooks/'),
    ).length;
    log(
      `recorded ${result.recording.requests.length} requests (${webhooks} webhooks), first alert on ${result.recording.truth.firstAlertingService}, ${gz.length} bytes → ${file}`,
    );
  }
  if (options.target && result.stats.proxy.forwardFailures > 0)
    process.exitCode = 1;
} catch (error) {
  console.error(`[lab ${name}] failed: ${error.stack ?? error}`);
  process.exitCode = 1;
}
