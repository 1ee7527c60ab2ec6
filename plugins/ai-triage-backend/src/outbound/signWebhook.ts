import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying the signature of an outbound webhook. */
export const SIGNATURE_HEADER = 'x-ai-triage-signature';

/** How far a signature's timestamp may be from the receiver's clock (Stripe's default). */
const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Signs a webhook body as Stripe does: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 * The timestamp is inside the signed text, so a captured delivery cannot be replayed later with
 * a fresh timestamp; receivers reject timestamps outside their tolerance.
 */
export function signWebhook(
  secret: string,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  const mac = createHmac('sha256', secret)
    .update(`${nowSeconds}.${rawBody}`)
    .digest('hex');
  return `t=${nowSeconds},v1=${mac}`;
}

/**
 * Checks a signature header against the raw body as a receiver should: a `v1` HMAC matching in
 * constant time, and a timestamp within `toleranceSeconds` of now.
 */
export function verifyWebhookSignature(options: {
  secret: string;
  rawBody: string;
  header: string | undefined;
  toleranceSeconds?: number;
  nowSeconds?: number;
}): boolean {
  const {
    secret,
    rawBody,
    header,
    toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
    nowSeconds = Math.floor(Date.now() / 1000),
  } = options;
  if (!header) {
    return false;
  }
  const parts = header.split(',').map(part => part.split('=', 2));
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) {
    return false;
  }
  const expected = Buffer.from(
    createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex'),
  );
  return parts
    .filter(([key]) => key === 'v1')
    .some(([, value]) => {
      const given = Buffer.from(value ?? '');
      return (
        given.length === expected.length && timingSafeEqual(given, expected)
      );
    });
}
