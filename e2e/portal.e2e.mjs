#!/usr/bin/env node
// End-to-end test of the review experience in a real browser.
//
// Builds the app (packages/app), starts the real backend (packages/backend: catalog, auth with the
// guest provider, permissions, app-backend serving the built app, the ai-triage plugin) on a free
// loopback port with in-memory SQLite, sends the demo scenario's telemetry and alert with
// scripts/demo.mjs, then drives Debian's Chromium with playwright-core: sign in as guest, open the
// checkout service's Incidents tab, open the incident, accept a hypothesis, reload and see the
// review, check that alert text with HTML in it stays text, and open the incident feed. The
// workflow: acknowledge the incident in the view, accept a hypothesis, and check that a loopback
// webhook receiver gets the signed event exactly once although it fails until the backend is
// killed (SIGKILL) and once more after its restart on the same (file) database, and opens the
// triage quality page. Then, on the backend restarted with a fresh database, it replays a lab
// recording whose fault began three hops below the first alerting service
// (examples/lab/recordings/provider-timeout.json.gz), waits for its re-triages, opens that
// service's incident and checks the view names the probable origin, in the light and the dark
// theme, and the feed's fault row. axe-core, injected into the page, must find no serious or
// critical accessibility violation on the tab, the incident view (both themes) and the feed.
// Saves screenshots to docs/images/.
//
//   node e2e/portal.e2e.mjs              (npm run test:e2e)
//
// Environment:
//   CHROMIUM_PATH       the browser (default /usr/bin/chromium; never downloaded)
//   E2E_SKIP_BUILD=1    reuse packages/app/dist when it exists
//   E2E_SCREENSHOTS     where screenshots go (default docs/images)
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort } from '../scripts/lib/freePort.mjs';
import { checkAccessibility } from './axe.mjs';
import { checkLabIncident } from './labIncident.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(
  ROOT,
  process.env.E2E_SCREENSHOTS ?? 'docs/images',
);
const TOKEN = 'ai-triage-local-dev-token';
const WEBHOOK_SECRET = 'e2e-webhook-secret';
const STEP_TIMEOUT_MS = 60_000;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function log(message) {
  console.log(`[e2e] ${message}`);
}

function buildApp() {
  const dist = path.join(ROOT, 'packages/app/dist/index.html');
  if (process.env.E2E_SKIP_BUILD === '1' && existsSync(dist)) {
    log('reusing packages/app/dist');
    return;
  }
  log('building packages/app');
  const started = Date.now();
  const result = spawnSync(
    path.join(ROOT, 'node_modules/.bin/backstage-cli'),
    ['package', 'build'],
    {
      cwd: path.join(ROOT, 'packages/app'),
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (result.status !== 0) {
    throw new Error(`app build exited with ${result.status}`);
  }
  log(`app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Starts packages/backend with the repo's config plus a loopback, in-memory override. */
function startBackend(port, workDir, webhookUrl) {
  const baseUrl = `http://127.0.0.1:${port}`;
  const configFile = path.join(workDir, 'app-config.e2e.yaml');
  writeFileSync(
    configFile,
    JSON.stringify({
      app: { baseUrl },
      backend: {
        baseUrl,
        listen: { port, host: '127.0.0.1' },
        cors: { origin: baseUrl },
        // A file, so that a killed backend restarts on the same data.
        database: {
          client: 'better-sqlite3',
          connection: { directory: path.join(workDir, 'sqlite') },
        },
      },
      aiTriage: {
        // Short leases: a job whose worker was killed mid-attempt runs again soon after restart.
        workers: { leaseSeconds: 20 },
        outbound: {
          webhooks: [
            {
              name: 'e2e-receiver',
              url: webhookUrl,
              secret: WEBHOOK_SECRET,
              events: ['incident.acknowledged', 'hypothesis.accepted'],
            },
          ],
        },
      },
    }),
  );
  const output = [];
  const child = spawn(
    process.execPath,
    [
      '--require',
      '@backstage/cli/config/nodeTransform.cjs',
      'src/index.ts',
      '--config',
      path.join(ROOT, 'app-config.yaml'),
      '--config',
      configFile,
    ],
    {
      cwd: path.join(ROOT, 'packages/backend'),
      env: { ...process.env, NODE_ENV: 'development', AI_TRIAGE_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', chunk => {
      output.push(chunk.toString());
      if (output.length > 400) output.shift();
    });
  }
  return {
    baseUrl,
    child,
    output: () => output.join(''),
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      }
      return child.exitCode === null
        ? new Promise(resolve => child.once('exit', resolve))
        : Promise.resolve();
    },
  };
}

/**
 * A loopback webhook receiver. It verifies each request's signature (HMAC-SHA256 over
 * "<t>.<raw body>", timestamp within 5 minutes) and answers 503 for accepted-hypothesis events
 * while `failing` is set, 200 otherwise.
 */
async function startWebhookReceiver() {
  const received = [];
  const receiver = { received, failAccepted: Infinity };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const header = String(req.headers['x-ai-triage-signature'] ?? '');
      const t = Number(/t=(\d+)/.exec(header)?.[1]);
      const v1 = /v1=([0-9a-f]+)/.exec(header)?.[1];
      const expected = createHmac('sha256', WEBHOOK_SECRET)
        .update(`${t}.${rawBody}`)
        .digest('hex');
      const signed = v1 === expected && Math.abs(Date.now() / 1000 - t) <= 300;
      const body = JSON.parse(rawBody);
      let status = signed ? 200 : 401;
      if (signed && body.event.type === 'hypothesis.accepted') {
        if (receiver.failAccepted > 0) {
          receiver.failAccepted -= 1;
          status = 503;
        }
      }
      received.push({ type: body.event.type, body, signed, status });
      res.writeHead(status).end();
    });
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${server.address().port}/hooks/ai-triage`;
  receiver.close = () => {
    server.closeAllConnections();
    server.close();
  };
  return receiver;
}

async function waitUntil(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}

async function waitForHttp(url, backend) {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (backend.child.exitCode !== null) {
      throw new Error(
        `backend exited with ${backend.child.exitCode}:\n${backend.output()}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${url}:\n${backend.output()}`);
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
}

function runDemo(baseUrl) {
  const result = spawnSync(
    process.execPath,
    [path.join(ROOT, 'scripts/demo.mjs'), '--wait', '60'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        AI_TRIAGE_BACKEND_URL: baseUrl,
        AI_TRIAGE_APP_URL: baseUrl,
        AI_TRIAGE_TOKEN: TOKEN,
      },
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    throw new Error(
      `demo exited with ${result.status}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  log('demo alert and telemetry sent');
}

/** An Alertmanager alert for checkout whose label and annotations carry HTML. */
async function postHostileAlert(baseUrl) {
  const hostile = '<img src=x onerror="window.__aiTriagePwned=1">';
  const now = new Date().toISOString();
  const labels = {
    alertname: 'CheckoutHtmlInjection',
    service: 'checkout',
    severity: 'warning',
    note: hostile,
  };
  const response = await fetch(
    `${baseUrl}/api/ai-triage/webhooks/alertmanager`,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${TOKEN}`,
      },
      body: JSON.stringify({
        receiver: 'ai-triage',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels,
            annotations: { summary: hostile, description: '<b>not bold</b>' },
            startsAt: now,
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'javascript:window.__aiTriagePwned=2',
            fingerprint: 'e2e-hostile',
          },
        ],
        groupLabels: { alertname: 'CheckoutHtmlInjection' },
        commonLabels: labels,
        commonAnnotations: {},
        externalURL: 'http://alertmanager.invalid',
        version: '4',
        groupKey: '{}:{alertname="CheckoutHtmlInjection"}',
        truncatedAlerts: 0,
      }),
    },
  );
  if (response.status !== 202) {
    throw new Error(
      `hostile alert: HTTP ${response.status} ${await response.text()}`,
    );
  }
  return hostile;
}

/**
 * The triage quality page, opened from its sidebar item (built from its route ref), counts the
 * review made above, from the backend's real data.
 */
async function checkQualityPage(page) {
  await page.getByRole('link', { name: 'Triage quality' }).first().click();
  await page.waitForURL(url => url.pathname === '/ai-triage-quality');
  const summary = page.getByLabel('Quality summary');
  await summary.waitFor({ timeout: 60_000 });
  const reviewed = await summary
    .getByLabel('Reviewed hypotheses')
    .textContent();
  const accepted = await summary.getByLabel('Accepted').textContent();
  if (!(Number(reviewed) >= 1) || accepted === '–' || accepted === '0%') {
    throw new Error(
      `quality page: ${reviewed} reviewed, ${accepted} accepted after an accepted review`,
    );
  }
  await page.getByRole('img', { name: 'Reliability diagram' }).waitFor();
  await page.screenshot({
    path: path.join(SCREENSHOTS, 'triage-quality.png'),
    fullPage: true,
  });
  log(`quality page: ${reviewed} reviewed, ${accepted} accepted`);
}

/**
 * A new browser context's page, signed in as guest (the app's default sign-in page with the
 * guest provider), logging what the app throws and collecting the dialogs it opens.
 */
async function signedInPage(browser, baseUrl) {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 1100 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  // Errors the app throws in the browser go to the log, so a blank page says why.
  page.on('pageerror', error => log(`page error: ${error.message}`));
  page.on('console', message => {
    if (message.type() === 'error') log(`console error: ${message.text()}`);
  });
  const dialogs = [];
  page.on('dialog', dialog => {
    dialogs.push(dialog.message());
    dialog.dismiss();
  });
  await page.goto(`${baseUrl}/`);
  await page.getByRole('button', { name: 'Enter' }).click();
  // Signed in once the app shell (its sidebar) replaces the sign-in page.
  await page.getByRole('link', { name: 'Settings' }).waitFor();
  return { page, dialogs };
}

async function main() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  const started = Date.now();
  buildApp();
  const workDir = mkdtempSync(path.join(tmpdir(), 'ai-triage-e2e-'));
  const labDir = mkdtempSync(path.join(tmpdir(), 'ai-triage-e2e-lab-'));
  const port = await freePort();
  const receiver = await startWebhookReceiver();
  let backend = startBackend(port, workDir, receiver.url);
  // Never leave the backend behind, whatever ends this process.
  process.on('exit', () => backend.stop());
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      backend.stop();
      process.exit(1);
    });
  }
  let browser;
  let failed = false;
  try {
    const { baseUrl } = backend;
    await waitForHttp(`${baseUrl}/api/ai-triage/health`, backend);
    await waitForHttp(`${baseUrl}/`, backend);
    log(`backend and app up on ${baseUrl}`);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
    const { page, dialogs } = await signedInPage(browser, baseUrl);

    // The Incidents tab of the checkout service.
    const tabUrl = `${baseUrl}/catalog/default/component/checkout/incidents`;
    const incidentLink = page.getByRole('link', {
      name: 'CheckoutHighLatency on checkout',
    });
    // The catalog reads examples/entities.yaml after start-up; until then the entity page is
    // "not found", so load it again until the tab shows its empty state. Then the demo alert
    // arrives as it would in production: for a service the catalog knows.
    for (let attempt = 1; ; attempt++) {
      await page.goto(tabUrl);
      try {
        await page
          .getByText('No incidents for this service yet')
          .waitFor({ timeout: 15_000 });
        break;
      } catch (error) {
        // Up to 3 minutes: the catalog's first pass over the example files is slow on a busy machine.
        if (attempt >= 12) throw error;
        log(`tab not ready yet (attempt ${attempt}), reloading`);
      }
    }
    runDemo(baseUrl);
    // The tab polls: the incident appears without a reload.
    await incidentLink.waitFor({ timeout: 30_000 });
    // Triage runs in the backend's workers; the tab polls until it is done.
    await page
      .getByRole('row')
      .filter({ has: incidentLink })
      .getByText('Triaged')
      .waitFor({ timeout: 120_000 });
    await page.screenshot({
      path: path.join(SCREENSHOTS, 'incidents-tab.png'),
    });
    log('Incidents tab shows the triaged incident');
    await checkAccessibility(page, 'Incidents tab');

    // The incident view: alert, context and hypotheses side by side.
    await incidentLink.click();
    const hypotheses = page.locator(
      'section[aria-labelledby^="ai-triage-hypothesis-"]',
    );
    await hypotheses.first().waitFor();
    const first = hypotheses.first();
    const rootCause = (await first.locator('h3').first().textContent()).trim();
    log(`top hypothesis: ${rootCause}`);
    // The heading carries the rank ("1. "); the cause itself follows it.
    const cause = rootCause.replace(/^\d+\.\s*/, '');
    await page.getByText('Downstream dependencies').waitFor();
    // Acknowledge the incident, then accept the top hypothesis.
    await page.getByRole('button', { name: /^Acknowledge / }).click();
    await page.getByText('Status: acknowledged').waitFor();
    await first.getByRole('button', { name: 'Accept' }).click();
    await first.getByText('Accepted', { exact: true }).waitFor();
    await page
      .getByRole('region', { name: 'Current root cause' })
      .getByText(cause)
      .waitFor();
    log('incident acknowledged; the accepted cause is its current root cause');
    await page.getByRole('region', { name: 'Headline' }).waitFor();
    await checkAccessibility(
      page,
      'Incident view (demo incident, light theme)',
    );

    // The review is stored: a reload shows it again, with who made it.
    await page.reload();
    const reloaded = page
      .locator('section[aria-labelledby^="ai-triage-hypothesis-"]')
      .first();
    await reloaded.getByText('Accepted', { exact: true }).waitFor();
    const reviewText = await reloaded.textContent();
    if (!/Accepted by\s*guest/i.test(reviewText)) {
      throw new Error(`review after reload lacks the reviewer: ${reviewText}`);
    }
    log('review survives a reload');

    // The webhook: the acknowledgement arrives signed; the accepted hypothesis fails at the
    // receiver, the backend is killed between attempts and restarted on the same database, the
    // receiver fails once more and then takes it: exactly one successful delivery, nothing lost.
    await waitUntil('the signed acknowledgement', () =>
      receiver.received.some(r => r.type === 'incident.acknowledged'),
    );
    await waitUntil('a failed delivery of the accepted hypothesis', () =>
      receiver.received.some(r => r.type === 'hypothesis.accepted'),
    );
    await backend.stop('SIGKILL');
    log('backend killed between delivery attempts');
    receiver.failAccepted = 1;
    backend = startBackend(port, workDir, receiver.url);
    await waitForHttp(`${baseUrl}/api/ai-triage/health`, backend);
    await waitUntil(
      'the accepted hypothesis delivered after the restart',
      () =>
        receiver.received.some(
          r => r.status === 200 && r.type === 'hypothesis.accepted',
        ),
      120_000,
    );
    const accepted = receiver.received.filter(
      r => r.type === 'hypothesis.accepted',
    );
    const successes = accepted.filter(r => r.status === 200);
    if (
      receiver.received.some(r => !r.signed) ||
      accepted.length < 3 ||
      successes.length !== 1 ||
      successes[0].body.event.rootCause !== cause ||
      receiver.received.filter(
        r => r.type === 'incident.acknowledged' && r.status === 200,
      ).length !== 1
    ) {
      throw new Error(
        `unexpected webhook deliveries: ${JSON.stringify(
          receiver.received.map(r => [r.type, r.status, r.signed]),
        )}`,
      );
    }
    log(
      `webhook: ${accepted.length} attempts, ${successes.length} success, all signed; survived a SIGKILL`,
    );
    await page.reload();
    await page.getByText('Status: acknowledged').waitFor();

    // The overview card counts the open incident and names the top hypothesis.
    await page.goto(`${baseUrl}/catalog/default/component/checkout`);
    await page.getByText('open incident', { exact: true }).waitFor();
    await page.getByText(/^Top hypothesis \(high confidence\)/).waitFor();
    log('overview card shows the open incident and its top hypothesis');

    // The incident feed across the catalog, with its nav item.
    await page.getByRole('link', { name: 'Incidents' }).first().click();
    await page.waitForURL(url => url.pathname === '/ai-triage');
    const feedRow = page.getByRole('row').filter({
      has: page.getByRole('link', { name: 'CheckoutHighLatency on checkout' }),
    });
    await feedRow.waitFor();
    // The alert named a service the catalog knows, so the incident is linked to its entity.
    if ((await feedRow.getByText('(unlinked)').count()) > 0) {
      throw new Error('the demo incident is listed as unlinked in the feed');
    }
    log('incident feed lists the incident, linked to its entity');

    // Alert text with HTML in it is shown as text and never runs.
    const hostile = await postHostileAlert(baseUrl);
    await page.goto(tabUrl);
    await page
      .getByRole('link', { name: 'CheckoutHtmlInjection on checkout' })
      .click();
    await page.getByText(hostile, { exact: true }).first().waitFor();
    const pwned = await page.evaluate(() => window.__aiTriagePwned);
    const injected = await page.locator('img[src="x"]').count();
    if (pwned !== undefined || injected > 0 || dialogs.length > 0) {
      throw new Error(
        `alert HTML was interpreted (flag ${pwned}, ${injected} img, dialogs ${dialogs})`,
      );
    }
    log('alert HTML is rendered as text');

    await checkQualityPage(page);

    // The lab's recording on a backend of its own: the demo's services (checkout, payments) are
    // the lab shop's too, and the demo's telemetry and incidents of minutes before would be the
    // recording's baseline and the fault group its incidents join.
    await backend.stop();
    backend = startBackend(port, labDir, receiver.url);
    await waitForHttp(`${baseUrl}/api/ai-triage/health`, backend);
    const lab = await signedInPage(browser, baseUrl);
    await checkLabIncident(lab.page, {
      baseUrl,
      token: TOKEN,
      screenshots: SCREENSHOTS,
      log,
    });

    log(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failed = true;
    if (browser) {
      const page = browser
        .contexts()
        .flatMap(context => context.pages())
        .at(-1);
      if (page) {
        const failure = path.join(workDir, 'failure.png');
        await page
          .screenshot({ path: failure, fullPage: true })
          .catch(() => {});
        console.error(`[e2e] failure screenshot: ${failure}`);
      }
    }
    console.error(
      `[e2e] backend output (tail):\n${backend.output().slice(-4000)}`,
    );
    throw error;
  } finally {
    await browser?.close();
    await backend.stop();
    receiver.close();
    if (!failed) {
      rmSync(workDir, { recursive: true, force: true });
      rmSync(labDir, { recursive: true, force: true });
    }
  }
}

mkdirSync(SCREENSHOTS, { recursive: true });
main().catch(error => {
  console.error(`[e2e] FAILED: ${error.stack ?? error}`);
  process.exit(1);
});
