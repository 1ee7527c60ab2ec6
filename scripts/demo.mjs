#!/usr/bin/env node
// End-to-end demo: sends a scenario's synthetic telemetry to the backend's embedded OTLP receiver,
// then its alert to the Alertmanager webhook, and prints where to see the incident.
//
//   npm run demo
//   npm run demo -- --scenario checkout-payments-latency
//   npm run demo -- --resolve          # send the scenario's alert as resolved
//
// Environment:
//   AI_TRIAGE_BACKEND_URL  backend base URL            (default http://localhost:7007)
//   AI_TRIAGE_TOKEN        external-access static token (default ai-triage-local-dev-token)
//   AI_TRIAGE_APP_URL      frontend base URL for links  (default http://localhost:3000)
//   AI_TRIAGE_WAIT_SECONDS how long to wait for the backend (default 60; also --wait)
//
// Plain Node 22 ESM with global fetch; no dependencies.

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { countRecords, splitOtlp } from '../examples/scenarios/lib/otlp.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIOS_DIR = path.join(ROOT, 'examples', 'scenarios');
const DEFAULT_SCENARIO = 'checkout-payments-latency';
const DEFAULT_TOKEN = 'ai-triage-local-dev-token';
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Records per OTLP request; keeps every body well under 100 kB, as a batching exporter would. */
const BATCH = { traces: 100, logs: 200, metrics: 2 };
const RECORD_NAMES = {
  traces: 'spans',
  logs: 'log records',
  metrics: 'metrics',
};

const USAGE = `Usage: node scripts/demo.mjs [--scenario <name>] [--resolve] [--wait <seconds>]

Sends a scenario's synthetic traces, metrics and logs to the AI triage backend, then its
Alertmanager alert, and prints the incident ids and where to look at them.

Options:
  --scenario <name>  scenario under examples/scenarios/ (default ${DEFAULT_SCENARIO})
  --resolve          send the scenario's alert as resolved instead (no telemetry)
  --wait <seconds>   how long to wait for the backend to answer (default 60)
  -h, --help         show this help

Environment:
  AI_TRIAGE_BACKEND_URL  backend base URL (default http://localhost:7007)
  AI_TRIAGE_TOKEN        external-access static token (default ${DEFAULT_TOKEN})
  AI_TRIAGE_APP_URL      frontend base URL used in the printed link (default http://localhost:3000)
`;

class DemoError extends Error {}

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        scenario: { type: 'string', default: DEFAULT_SCENARIO },
        resolve: { type: 'boolean', default: false },
        wait: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const waitSeconds = Number(
    args.wait ?? process.env.AI_TRIAGE_WAIT_SECONDS ?? 60,
  );
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
    process.stderr.write(
      `--wait must be a number of seconds, got "${args.wait}"\n`,
    );
    return 2;
  }

  const base = (
    process.env.AI_TRIAGE_BACKEND_URL || 'http://localhost:7007'
  ).replace(/\/+$/, '');
  const appUrl = (
    process.env.AI_TRIAGE_APP_URL || 'http://localhost:3000'
  ).replace(/\/+$/, '');
  const token = process.env.AI_TRIAGE_TOKEN || DEFAULT_TOKEN;
  const tokenOrigin = process.env.AI_TRIAGE_TOKEN
    ? 'from AI_TRIAGE_TOKEN'
    : 'the local default; AI_TRIAGE_TOKEN is not set';
  const api = `${base}/api/ai-triage`;

  const scenario = await loadScenario(args.scenario);
  console.log(`Scenario: ${scenario.name}: ${scenario.title ?? ''}`);
  console.log(`Backend:  ${base}`);

  await waitForBackend({ api, base, waitSeconds });

  const client = { api, base, token, tokenOrigin };
  const nowMs = Date.now();

  if (!args.resolve) {
    const telemetry = await scenario.generateTelemetry({ nowMs });
    for (const signal of ['traces', 'metrics', 'logs']) {
      await sendSignal(client, signal, telemetry[signal]);
    }
  }

  const alert = buildAlert(scenario, nowMs, args.resolve);
  const started = alert.alerts[0].startsAt;
  console.log(
    `\nAlert ${alert.alerts[0].labels.alertname} (${alert.status}, startsAt ${started})`,
  );
  const { status, body } = await post(
    client,
    '/webhooks/alertmanager',
    alert,
    'alert',
  );
  const incidentIds = Array.isArray(body?.incidentIds) ? body.incidentIds : [];
  console.log(`  POST /webhooks/alertmanager -> ${status}`);
  console.log(`  deliveryId:  ${body?.deliveryId ?? '(none)'}`);
  console.log(`  duplicate:   ${body?.duplicate ?? '(unknown)'}`);
  console.log(
    `  incidentIds: ${incidentIds.length ? incidentIds.join(', ') : '(none)'}`,
  );

  const link = entityIncidentsUrl(appUrl, scenario.entityRef);
  if (args.resolve) {
    console.log(`\nResolved. See ${link ?? appUrl}`);
  } else {
    console.log(
      `\nThe incident is enriched and triaged in the background. Open:\n  ${
        link ?? appUrl
      }`,
    );
  }
  return 0;
}

async function loadScenario(name) {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) {
    throw new DemoError(`Invalid scenario name "${name}".`);
  }
  const dir = path.join(SCENARIOS_DIR, name);
  let description;
  try {
    description = JSON.parse(
      await readFile(path.join(dir, 'scenario.json'), 'utf8'),
    );
  } catch (error) {
    if (error.code !== 'ENOENT') {
      throw new DemoError(
        `Cannot read ${path.join(dir, 'scenario.json')}: ${error.message}`,
      );
    }
    const available = (await readdir(SCENARIOS_DIR, { withFileTypes: true }))
      .filter(entry => entry.isDirectory() && entry.name !== 'lib')
      .map(entry => entry.name);
    throw new DemoError(
      `Unknown scenario "${name}". Available: ${
        available.join(', ') || '(none)'
      }`,
    );
  }
  const alert = JSON.parse(
    await readFile(path.join(dir, description.alert ?? 'alert.json'), 'utf8'),
  );
  const module = await import(
    pathToFileURL(path.join(dir, description.telemetry ?? 'telemetry.mjs')).href
  );
  if (typeof module.generateTelemetry !== 'function') {
    throw new DemoError(
      `${name}/telemetry.mjs does not export generateTelemetry`,
    );
  }
  return {
    ...description,
    alertTemplate: alert,
    generateTelemetry: module.generateTelemetry,
  };
}

async function waitForBackend({ api, base, waitSeconds }) {
  const url = `${api}/health`;
  const deadline = Date.now() + waitSeconds * 1000;
  let last = null;
  let announced = false;
  let nextProgress = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        console.log(`Health:   GET ${url} -> ${response.status}`);
        return;
      }
      last = { status: response.status };
    } catch (error) {
      last = { error: describeFetchError(error) };
    }
    if (Date.now() >= deadline) break;
    if (!announced) {
      announced = true;
      console.log(
        `Waiting up to ${waitSeconds} s for the backend to answer GET ${url} (start it with \`npm start\`) ...`,
      );
    } else if (Date.now() >= nextProgress) {
      nextProgress = Date.now() + 10_000;
      console.log(`  still waiting (${last.error ?? `HTTP ${last.status}`})`);
    }
    await new Promise(resolve => setTimeout(resolve, 1_000));
  }
  if (last?.error) {
    throw new DemoError(
      `Backend not reachable at ${base} (${last.error}) after ${waitSeconds} s.\n` +
        `Start it with \`npm start\`, or set AI_TRIAGE_BACKEND_URL to the URL it listens on.`,
    );
  }
  if (last?.status === 404) {
    throw new DemoError(
      `The backend at ${base} answers, but GET ${url} is 404: the ai-triage backend plugin is ` +
        `not installed there. Check packages/backend, or set AI_TRIAGE_BACKEND_URL.`,
    );
  }
  throw new DemoError(
    `The backend at ${base} is not healthy after ${waitSeconds} s: GET ${url} -> HTTP ${last?.status}.`,
  );
}

async function sendSignal(client, signal, body) {
  const total = countRecords(signal, body);
  const batches = splitOtlp(signal, body, BATCH[signal]);
  console.log(
    `\n${signal}: ${total} ${RECORD_NAMES[signal]} in ${batches.length} request(s)`,
  );
  for (const [index, batch] of batches.entries()) {
    const { status, body: answer } = await post(
      client,
      `/otlp/v1/${signal}`,
      batch,
      signal,
    );
    const partial = answer?.partialSuccess;
    const rejected =
      partial &&
      Number(
        partial.rejectedSpans ??
          partial.rejectedDataPoints ??
          partial.rejectedLogRecords ??
          0,
      );
    console.log(
      `  POST /otlp/v1/${signal} [${index + 1}/${batches.length}] ` +
        `${countRecords(signal, batch)} ${RECORD_NAMES[signal]} -> ${status}` +
        (rejected
          ? ` (rejected ${rejected}: ${
              partial.errorMessage ?? 'no reason given'
            })`
          : ''),
    );
  }
}

async function post(client, pathname, body, what) {
  const url = `${client.api}${pathname}`;
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${client.token}`,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new DemoError(
      `Sending ${what} to ${url} failed: ${describeFetchError(error)}.\n` +
        `Is the backend still running? Set AI_TRIAGE_BACKEND_URL if it listens elsewhere.`,
    );
  }
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.ok) return { status: response.status, body: parsed };

  const message =
    parsed?.error?.message ??
    parsed?.message ??
    (text.slice(0, 500) || response.statusText);
  const prefix = `POST ${url} -> ${response.status}`;
  switch (response.status) {
    case 401:
      throw new DemoError(
        `${prefix}: the backend rejected the token (${client.tokenOrigin}).\n` +
          `Set AI_TRIAGE_TOKEN to a static token configured under backend.auth.externalAccess ` +
          `in app-config (the local default is ${DEFAULT_TOKEN}). Server said: ${message}`,
      );
    case 403:
      throw new DemoError(
        `${prefix}: the token is valid but may not call the ai-triage plugin. Check the ` +
          `accessRestrictions of its backend.auth.externalAccess entry. Server said: ${message}`,
      );
    case 400:
      throw new DemoError(
        `${prefix}: the backend rejected the ${what} payload: ${message}`,
      );
    case 404:
      throw new DemoError(
        `${prefix}: not found. Is the ai-triage backend plugin installed and up to date, and ` +
          `AI_TRIAGE_BACKEND_URL right? Server said: ${message}`,
      );
    case 413:
      throw new DemoError(
        `${prefix}: the ${what} request is larger than the backend accepts. Server said: ${message}`,
      );
    default:
      throw new DemoError(`${prefix}: ${message}`);
  }
}

function buildAlert(scenario, nowMs, resolve) {
  const alert = structuredClone(scenario.alertTemplate);
  const minutesAgo = scenario.timeline?.alertStartsMinutesAgo ?? 2;
  const startsAt = new Date(nowMs - minutesAgo * 60_000).toISOString();
  const status = resolve ? 'resolved' : 'firing';
  alert.status = status;
  for (const item of alert.alerts) {
    item.status = status;
    item.startsAt = startsAt;
    item.endsAt = resolve ? new Date(nowMs).toISOString() : ZERO_TIME;
  }
  return alert;
}

/** `component:default/checkout` -> `<app>/catalog/default/component/checkout/incidents`. */
function entityIncidentsUrl(appUrl, entityRef) {
  const match = /^([^:]+):(?:([^/]+)\/)?(.+)$/.exec(entityRef ?? '');
  if (!match) return undefined;
  const [, kind, namespace = 'default', name] = match;
  return `${appUrl}/catalog/${namespace}/${kind.toLowerCase()}/${name}/incidents`;
}

function describeFetchError(error) {
  if (error?.name === 'TimeoutError') return 'no answer within the timeout';
  const cause = error?.cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${cause.hostname ?? code})`;
    case 'ECONNRESET':
      return 'connection reset';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    default:
      return cause?.message || error?.message || String(error);
  }
}

main().then(
  code => {
    process.exitCode = code;
  },
  error => {
    if (error instanceof DemoError) {
      process.stderr.write(`\nError: ${error.message}\n`);
    } else {
      process.stderr.write(`\nUnexpected error: ${error?.stack ?? error}\n`);
    }
    process.exitCode = 1;
  },
);
