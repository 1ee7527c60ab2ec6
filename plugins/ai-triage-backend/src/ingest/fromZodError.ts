import { InputError } from '@backstage/errors';
import { z } from 'zod';

/** One line per problem, each naming the field: `alerts[0].startsAt: must be an RFC 3339 timestamp`. */
export function fromZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map(issue => {
      const path = issue.path
        .map((part, i) =>
          typeof part === 'number'
            ? `[${part}]`
            : `${i ? '.' : ''}${String(part)}`,
        )
        .join('');
      return `${path || '(body)'}: ${issue.message}`;
    })
    .join('; ');
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'nan';
  return typeof value;
}

/**
 * The wording of the problems senders hit most, where zod's own says less: a missing field is
 * `Required` (not "expected string, received undefined"), and a value outside an enum names
 * what was sent. These are the messages our 400s have always carried; everything else (and any
 * message a schema sets itself) is zod's.
 */
export const inputIssueMessage: z.core.$ZodErrorMap = issue => {
  if (issue.code === 'invalid_type') {
    return issue.input === undefined
      ? 'Required'
      : `Expected ${issue.expected}, received ${kindOf(issue.input)}`;
  }
  if (issue.code === 'invalid_value') {
    if (issue.values.length === 1) {
      return `Invalid literal value, expected ${JSON.stringify(
        issue.values[0],
      )}`;
    }
    return `Invalid enum value. Expected ${issue.values
      .map(value => `'${String(value)}'`)
      .join(' | ')}, received '${String(issue.input)}'`;
  }
  return undefined;
};

/**
 * A request value (body, query, payload) parsed by `schema`, or an InputError (400) naming every
 * wrong field: `Invalid <what>: <path>: <problem>; ...`.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(value, { error: inputIssueMessage });
  if (!parsed.success) {
    throw new InputError(`Invalid ${what}: ${fromZodError(parsed.error)}`);
  }
  return parsed.data;
}
