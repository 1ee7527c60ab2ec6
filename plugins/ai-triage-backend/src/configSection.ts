import { Config } from '@backstage/config';
import { z } from 'zod';

/*
 * One way to read a section of `aiTriage:` (see config.d.ts, which documents every key and
 * default): a zod schema per section, parsed by readConfigSection, and one error format naming
 * the full key and the problem:
 *
 *   aiTriage.reasoning.llm.timeoutSeconds must be a positive number, got 0
 *
 * The scalar schemas below take what Backstage's Config getters take, so values substituted
 * from the environment (always strings) keep working: numbers may be numeric strings, booleans
 * yes/no/true/false/on/off/1/0 strings, and strings must not be empty.
 */

/** `is required` for a missing value, else `must be <what>`. */
function expected(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? 'is required' : `must be ${what}`;
}

/** A number, or a string holding one (`${PORT}`), as `Config.getOptionalNumber` reads it. */
export const configNumber = z
  .union([z.number(), z.string()], { error: expected('a number') })
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const number = value.trim() === '' ? NaN : Number(value.trim());
    if (!Number.isFinite(number)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a number',
        input: value,
      });
      return z.NEVER;
    }
    return number;
  });

/** A boolean, or a string or number saying one, as `Config.getOptionalBoolean` reads it. */
export const configBoolean = z
  .union([z.boolean(), z.string(), z.number()], {
    error: expected('true or false'),
  })
  .transform((value, ctx) => {
    if (typeof value === 'boolean') return value;
    const text = String(value).trim();
    if (/^(?:y|yes|true|1|on)$/i.test(text)) return true;
    if (/^(?:n|no|false|0|off)$/i.test(text)) return false;
    ctx.addIssue({
      code: 'custom',
      message: 'must be true or false',
      input: value,
    });
    return z.NEVER;
  });

/** A non-empty string, as `Config.getOptionalString` reads it. */
export const configString = z
  .string({ error: expected('a string') })
  .min(1, 'must not be empty');

/** A number above 0. */
export const positiveNumber = configNumber.pipe(
  z.number().positive('must be a positive number'),
);

/** A number of at least 0. */
export const nonNegativeNumber = configNumber.pipe(
  z.number().min(0, 'must be 0 or more'),
);

/** A whole number of at least `min`. */
export function wholeNumber(min: number) {
  const message = `must be a whole number of at least ${min}`;
  return configNumber.pipe(z.number().int(message).min(min, message));
}

/** A share strictly between 0 and 1. */
export const fraction = configNumber.pipe(
  z.number().gt(0, 'must be between 0 and 1').lt(1, 'must be between 0 and 1'),
);

/** An http(s) URL. */
export const httpUrl = configString.refine(
  value => /^https?:$/.test(URL.parse(value)?.protocol ?? ''),
  'must be an http(s) URL',
);

/** Problems zod describes generically, in the words of the other config errors. */
const configIssueMessage: z.core.$ZodErrorMap = issue => {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'is required';
    if (issue.expected === 'object') return 'must be a map of keys to values';
    if (issue.expected === 'array') return 'must be a list';
    return `must be a ${issue.expected}`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map(String).join(', ')}`;
  }
  return undefined;
};

function keyOf(section: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (key, part) =>
      typeof part === 'number' ? `${key}[${part}]` : `${key}.${String(part)}`,
    section,
  );
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The config section at `key` (e.g. `aiTriage.reasoning.llm`) parsed by `schema`, with the
 * schema's defaults applied; an absent section parses as `{}`.
 *
 * @throws Error naming every key that is wrong: `<key> <problem>, got <value>`
 */
export function readConfigSection<S extends z.ZodType>(
  config: Config,
  key: string,
  schema: S,
): z.output<S> {
  const parsed = schema.safeParse(config.getOptional(key) ?? {}, {
    error: configIssueMessage,
    reportInput: true,
  });
  if (parsed.success) return parsed.data;
  throw new Error(
    parsed.error.issues
      .map(issue => {
        const got =
          issue.input === undefined
            ? ''
            : `, got ${describeValue(issue.input)}`;
        return `${keyOf(key, issue.path)} ${issue.message}${got}`;
      })
      .join('; '),
  );
}
