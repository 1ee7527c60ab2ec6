// payments: a fraud check, then a charge at the external payment provider over HTTPS. Retries a
// rate-limited (429) charge once, as the provider's documentation asks, then gives up.
import { pbkdf2Sync } from 'node:crypto';
import {
  callJson,
  effect,
  HttpError,
  log,
  readJson,
  serve,
  sleep,
  urlOf,
} from '../lib/service.mjs';

const PROVIDER_TIMEOUT_MS = 2000;

function fraudScore(body) {
  // A hash of the card fingerprint; a "stricter model" switch makes it very expensive.
  const iterations = effect('fraudCheckIterations') ?? 2000;
  return (
    pbkdf2Sync(
      String(body.user),
      'fraud-model-v3',
      iterations,
      32,
      'sha256',
    )[0] / 255
  );
}

async function chargeAtProvider(body, attempt = 1) {
  try {
    return await callJson(`${urlOf('payment-provider', 'https')}/v1/charges`, {
      method: 'POST',
      body: {
        amount: body.amountCents,
        currency: 'eur',
        reference: body.orderId,
      },
      timeoutMs: PROVIDER_TIMEOUT_MS,
    });
  } catch (error) {
    if (error instanceof HttpError && error.status === 429 && attempt === 1) {
      log(
        'warn',
        `payment provider rate limited charge for ${body.orderId} (429), retrying in 200 ms`,
      );
      await sleep(200);
      return chargeAtProvider(body, 2);
    }
    throw error;
  }
}

serve({
  'POST /charges': async req => {
    const body = await readJson(req);
    const score = fraudScore(body);
    try {
      const charge = await chargeAtProvider(body);
      log(
        'info',
        `charged ${body.amountCents} cents for ${
          body.orderId
        } (fraud score ${score.toFixed(2)})`,
      );
      return { status: 201, body: { chargeId: charge.id } };
    } catch (error) {
      log(
        'error',
        `charge for ${body.orderId} failed at payment provider: ${
          error.message
        }${error.code ? ` (${error.code})` : ''}`,
        {
          'exception.type': error.code ?? error.name,
        },
      );
      const failure = new HttpError(
        502,
        `payment provider error: ${error.message}`,
      );
      failure.logged = true;
      throw failure;
    }
  },
});
