import { z } from 'zod';

/* The OTLP/JSON scalars (64-bit integers, doubles, ids, enums) as zod schemas, and their helpers. */

/** Longest service, metric and severity name the store's columns hold. */
export const MAX_NAME_LENGTH = 255;

/** A uint64 (`*UnixNano`, counts): a decimal string or a JSON number. */
export const uint64 = z.unknown().transform((value, ctx): bigint => {
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) {
    return BigInt(value);
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    return BigInt(value);
  }
  ctx.addIssue({
    code: 'custom',
    message: `expected an unsigned 64-bit integer as a decimal string or number, got ${describe(
      value,
    )}`,
  });
  return z.NEVER;
});

/** An int64 (`intValue`, `asInt`): a decimal string or a JSON number. */
export const int64 = z.unknown().transform((value, ctx): bigint => {
  if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) {
    return BigInt(value);
  }
  if (typeof value === 'number' && Number.isInteger(value)) {
    return BigInt(value);
  }
  ctx.addIssue({
    code: 'custom',
    message: `expected a 64-bit integer as a decimal string or number, got ${describe(
      value,
    )}`,
  });
  return z.NEVER;
});

/** A double: a JSON number, or "NaN" / "Infinity" / "-Infinity" as proto3 JSON writes them. */
export const double = z.unknown().transform((value, ctx): number => {
  if (typeof value === 'number') {
    return value;
  }
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') {
    return Number(value);
  }
  ctx.addIssue({
    code: 'custom',
    message: `expected a number, got ${describe(value)}`,
  });
  return z.NEVER;
});

/**
 * Trace and span ids: hex of a fixed length, any case; stored lowercase. Where the id is
 * optional, proto3 JSON writes "" (or nothing) for "none", which becomes null.
 */
export function hexId(bytes: number, what: string) {
  const pattern = new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`);
  return z
    .string({ error: `expected a ${what} as a hex string` })
    .regex(pattern, `expected a ${what} of ${bytes * 2} hex characters`)
    .transform(id => id.toLowerCase());
}

export function optionalHexId(bytes: number, what: string) {
  const pattern = new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`);
  return z
    .string({ error: `expected a ${what} as a hex string` })
    .optional()
    .refine(
      id => !id || pattern.test(id),
      `expected a ${what} of ${bytes * 2} hex characters, or ""`,
    )
    .transform(id => (id ? id.toLowerCase() : null));
}

export function enumInt(max: number) {
  return z
    .number({ error: 'expected an integer enum value' })
    .int(`expected an integer from 0 to ${max}`)
    .min(0, `expected an integer from 0 to ${max}`)
    .max(max, `expected an integer from 0 to ${max}`)
    .default(0);
}

export const nameString = z.string().max(MAX_NAME_LENGTH);

export function nanosToMs(nanos: bigint): number {
  return Number(nanos / 1_000_000n);
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 40)}...` : json;
}
