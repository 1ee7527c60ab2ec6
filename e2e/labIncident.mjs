// The end-to-end test's lab part: replay a recording of the really instrumented shop and check
// the incident view and the feed on what it raised.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAccessibility } from './axe.mjs';
import { loadRecording, replayRecording } from './labReplay.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The recording replayed: its origin is three hops below the first alerting service. */
const LAB_RECORDING = path.join(
  ROOT,
  'examples/lab/recordings/provider-timeout.json.gz',
);

/** A signed-in user's token for reading the API from this script (the guest provider's). */
async function guestToken(baseUrl) {
  const response = await fetch(`${baseUrl}/api/auth/guest/refresh`, {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  if (!response.ok) {
    throw new Error(`guest sign-in: HTTP ${response.status}`);
  }
  return (await response.json()).backstageIdentity.token;
}

/**
 * Replays the lab recording, opens the incident of the service that alerted first (the fault
 * began hops below it) and checks that the view shows the backend's localization: the headline
 * names the probable origin, a service other than the alerted one, and the service map lights
 * it. Whether that origin is the recording's true one is the benchmark's question
 * (`npm run bench:scenarios`); this test logs both. Photographs the view in both themes and the
 * feed's fault row.
 */
export async function checkLabIncident(page, options) {
  const { baseUrl, token, screenshots, log } = options;
  const recording = loadRecording(LAB_RECORDING);
  const { firstAlertingService, hops } = recording.truth;
  const userToken = await guestToken(baseUrl);
  // Incidents link to their catalog entity at intake: wait for the catalog's first pass over
  // the lab's entities.
  const deadline = Date.now() + 180_000;
  for (;;) {
    const res = await fetch(
      `${baseUrl}/api/catalog/entities/by-name/component/default/${firstAlertingService}`,
      { headers: { authorization: `Bearer ${userToken}` } },
    );
    if (res.ok) break;
    if (Date.now() > deadline) {
      throw new Error(
        `the catalog has no component ${firstAlertingService}: HTTP ${res.status}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
  const started = Date.now();
  const raised = await replayRecording(recording, {
    baseUrl,
    token,
    userToken,
  });
  log(
    `lab recording ${recording.scenario} replayed in ${(
      (Date.now() - started) /
      1000
    ).toFixed(1)} s: ${raised.length} incidents, true origin ${
      recording.truth.origin
    } ${hops} hops below ${firstAlertingService}`,
  );

  const entityRef = `component:default/${firstAlertingService}`;
  const listed = await fetch(
    `${baseUrl}/api/ai-triage/incidents?entityRef=${encodeURIComponent(
      entityRef,
    )}&limit=50`,
    { headers: { authorization: `Bearer ${userToken}` } },
  ).then(r => r.json());
  // Localized away from the alerted service: the origin lies further down.
  const localized = listed.items.find(
    i => i.probableOrigin && i.probableOrigin !== firstAlertingService,
  );
  if (!localized) {
    throw new Error(
      `no incident of ${firstAlertingService} is localized to another service: ${listed.items
        .map(i => `${i.title} → ${i.probableOrigin ?? 'none'}`)
        .join(', ')}`,
    );
  }
  const origin = localized.probableOrigin;
  log(
    `${localized.title}: probable origin ${origin} (the recording's truth: ${recording.truth.origin})`,
  );
  const viewUrl = `${baseUrl}/catalog/default/component/${firstAlertingService}/incidents?incident=${localized.id}`;

  const showView = async () => {
    const headline = page.getByRole('region', { name: 'Headline' });
    await headline.waitFor();
    const text = await headline.textContent();
    if (!text.includes(origin)) {
      throw new Error(`the headline does not name ${origin}: ${text}`);
    }
    // The service map lights the origin once laid out.
    await page
      .locator(`[data-service="${origin}"][data-origin="true"]`)
      .waitFor({ state: 'visible' });
    await page.getByRole('img', { name: /^Onset at / }).waitFor();
    await page
      .getByRole('button', { name: 'Close incident' })
      .evaluate(element => element.closest('.MuiCard-root').scrollIntoView());
    return text;
  };

  await page.goto(viewUrl);
  const headlineText = await showView();
  log(`incident view of ${localized.title}: "${headlineText.slice(0, 120)}"`);
  await page.screenshot({ path: path.join(screenshots, 'incident-view.png') });
  await checkAccessibility(page, 'Incident view (light theme)');

  // The dark theme, as the user settings page sets it.
  await page.evaluate(() => window.localStorage.setItem('theme', 'dark'));
  await page.reload();
  await showView();
  await page.screenshot({
    path: path.join(screenshots, 'incident-view-dark.png'),
  });
  await checkAccessibility(page, 'Incident view (dark theme)');
  await page.evaluate(() => window.localStorage.setItem('theme', 'light'));

  // The feed: one row for the fault, expanded to its incidents.
  await page.goto(`${baseUrl}/ai-triage`);
  const faults = page.getByRole('table', { name: /^Faults/ });
  const row = faults
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: origin, exact: true }) })
    .first();
  await row.waitFor();
  const expand = row.getByRole('button', {
    name: /^Show the \d+ incidents of/,
  });
  if ((await expand.count()) > 0) {
    await expand.click();
  }
  await page.screenshot({ path: path.join(screenshots, 'incident-feed.png') });
  await checkAccessibility(page, 'Incident feed');
  log(`the feed shows the fault of ${origin} as one row`);
}
