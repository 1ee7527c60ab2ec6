import { z } from 'zod';

/** Labels or annotations: string keys, string values. */
export const stringMap = z.record(z.string(), z.string());

/**
 * RFC 3339 date-time with seconds optional, any fraction of seconds, and `Z` or an offset with
 * or without its colon. Senders write `+0000` (PagerDuty's own example does), which zod 4's
 * `z.iso.datetime({ offset: true })` refuses, so the pattern is ours.
 */
const RFC3339 = new RegExp(
  `^${z.regexes.date.source.slice(1, -1)}` +
    'T(?:[01]\\d|2[0-3]):[0-5]\\d(?::[0-5]\\d(?:\\.\\d+)?)?' +
    '(?:Z|[+-]\\d{2}:?\\d{2})$',
);

const rfc3339 = z.string().regex(RFC3339, 'must be an RFC 3339 timestamp');

/**
 * An RFC 3339 timestamp with any offset (`Z`, `+02:00`, `+0200`) and any fraction of seconds,
 * naming a real instant: the pattern alone lets offsets such as +25:00 through.
 */
export const timestamp = rfc3339.refine(
  value => !RFC3339.test(value) || Number.isFinite(Date.parse(value)),
  'must be a real instant (an offset within ±23:59)',
);

/** A firing or resolved alert. */
export const alertStatus = z.enum(['firing', 'resolved']);

/** The alerts of a webhook body: at least one. */
export function alertList<T extends z.ZodType>(alert: T) {
  return z.array(alert).min(1, 'must contain at least one alert');
}
