import { ZodError } from 'zod';

/** One line per problem, each naming the field: `alerts[0].startsAt: must be an RFC 3339 timestamp`. */
export function fromZodError(error: ZodError): string {
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
