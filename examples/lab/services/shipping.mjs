// shipping: quotes from a rate table cached in process (guarded by a lock while it refreshes)
// and the external carrier's API.
import {
  callJson,
  effect,
  jitter,
  log,
  readJson,
  serve,
  sleep,
  urlOf,
} from '../lib/service.mjs';

let lockHeld = Promise.resolve();
/** An in-process mutex: one holder at a time, the others wait in line. */
async function withRateTableLock(fn) {
  const previous = lockHeld;
  let release;
  lockHeld = new Promise(resolve => (release = resolve));
  const waitStarted = Date.now();
  await previous;
  const waitedMs = Date.now() - waitStarted;
  if (waitedMs > 200)
    log('warn', `waited ${waitedMs} ms for the rate-table lock`);
  try {
    return await fn();
  } finally {
    release();
  }
}

async function zoneOf(zip) {
  return withRateTableLock(async () => {
    // With the fault, every quote invalidates the cache and reloads the table under the lock.
    const reloadMs = effect('rateTableReloadMs');
    if (reloadMs) await sleep(jitter(reloadMs, 0.2));
    return Number(String(zip ?? '0').slice(0, 1)) % 4;
  });
}

function carrierUrl() {
  return effect('carrierHost')
    ? `http://${effect('carrierHost')}`
    : urlOf('carrier-api');
}

serve({
  'POST /quote': async req => {
    const { zip, items } = await readJson(req);
    const zone = await zoneOf(zip);
    const rates = await callJson(
      `${carrierUrl()}/v2/rates?zone=${zone}&parcels=${items.length}`,
      {
        timeoutMs: 2500,
      },
    );
    return { priceCents: rates.priceCents, carrier: rates.carrier };
  },
});
