import { z } from 'zod';

/** Labels or annotations: string keys, string values. */
export const stringMap = z.record(z.string(), z.string());

/** An RFC 3339 timestamp with any offset (`Z`, `+02:00`, `+0200`) and any fraction of seconds. */
export const timestamp = z
  .string()
  .datetime({ offset: true, message: 'must be an RFC 3339 timestamp' });

/** A firing or resolved alert. */
export const alertStatus = z.enum(['firing', 'resolved']);

/** The alerts of a webhook body: at least one. */
export function alertList<T extends z.ZodTypeAny>(alert: T) {
  return z.array(alert).min(1, 'must contain at least one alert');
}
