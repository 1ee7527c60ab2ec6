import { z } from 'zod';

/** Labels or annotations: string keys, string values. */
export const stringMap = z.record(z.string(), z.string());

const rfc3339 = z
  .string()
  .datetime({ offset: true, message: 'must be an RFC 3339 timestamp' });

/**
 * An RFC 3339 timestamp with any offset (`Z`, `+02:00`, `+0200`) and any fraction of seconds,
 * naming a real instant: the pattern alone lets offsets such as +25:00 through.
 */
export const timestamp = rfc3339.superRefine((value, ctx) => {
  if (rfc3339.safeParse(value).success && !Number.isFinite(Date.parse(value))) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: 'must be a real instant (an offset within ±23:59)',
    });
  }
});

/** A firing or resolved alert. */
export const alertStatus = z.enum(['firing', 'resolved']);

/** The alerts of a webhook body: at least one. */
export function alertList<T extends z.ZodTypeAny>(alert: T) {
  return z.array(alert).min(1, 'must contain at least one alert');
}
