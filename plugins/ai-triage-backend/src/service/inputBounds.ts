import express from 'express';
import { InputError } from '@backstage/errors';
import { parseEntityRef } from '@backstage/catalog-model';
import { z } from 'zod';

/**
 * The shape every request value must fit before any recursive work (zod, normalizers, the
 * store) touches it: bounded nesting, bounded lists and objects, bounded strings, and no NUL
 * character, which PostgreSQL cannot store in text. Checked by one iterative walk, so a value
 * nested thousands of levels deep cannot overflow the stack, and an oversized one is refused
 * after reading it once.
 */
export type InputBounds = {
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
  /** Most entries of one array or one object. */
  maxEntries: number;
  /** Longest string, in characters (keys included). */
  maxStringLength: number;
  /** Most entries of a list under an `attributes` key (OTLP attributes), when set. */
  maxAttributes?: number;
};

export const DEFAULT_INPUT_BOUNDS: InputBounds = {
  maxDepth: 32,
  maxEntries: 10_000,
  maxStringLength: 1_048_576,
};

/** The first problem of a value, naming its path (`alerts[3].labels.env`), or undefined. */
export function findBoundsProblem(
  value: unknown,
  bounds: InputBounds,
  rootPath = '',
): string | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value, path: rootPath, depth: 0 },
  ];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const where = item.path || 'body';
    if (typeof item.value === 'string') {
      const problem = stringProblem(item.value, bounds);
      if (problem) return `${where}: ${problem}`;
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth >= bounds.maxDepth) {
      return `${where}: nested deeper than ${bounds.maxDepth} levels`;
    }
    if (Array.isArray(item.value)) {
      if (item.value.length > bounds.maxEntries) {
        return `${where}: ${item.value.length} entries, over the limit of ${bounds.maxEntries}`;
      }
      item.value.forEach((entry, i) =>
        stack.push({
          value: entry,
          path: `${item.path}[${i}]`,
          depth: item.depth + 1,
        }),
      );
      continue;
    }
    const keys = Object.keys(item.value);
    if (keys.length > bounds.maxEntries) {
      return `${where}: ${keys.length} entries, over the limit of ${bounds.maxEntries}`;
    }
    for (const key of keys) {
      const path = item.path ? `${item.path}.${key}` : key;
      const problem = stringProblem(key, bounds);
      if (problem) return `${item.path || 'body'}: key ${problem}`;
      const entry = (item.value as Record<string, unknown>)[key];
      if (
        key === 'attributes' &&
        bounds.maxAttributes !== undefined &&
        Array.isArray(entry) &&
        entry.length > bounds.maxAttributes
      ) {
        return `${path}: ${entry.length} attributes, over the limit of ${bounds.maxAttributes}`;
      }
      stack.push({
        value: (item.value as Record<string, unknown>)[key],
        path,
        depth: item.depth + 1,
      });
    }
  }
  return undefined;
}

function stringProblem(value: string, bounds: InputBounds): string | undefined {
  if (value.length > bounds.maxStringLength) {
    return `string of ${value.length} characters, over the limit of ${bounds.maxStringLength}`;
  }
  if (value.includes('\u0000')) {
    return 'contains a NUL character (\\u0000), which cannot be stored';
  }
  return undefined;
}

/**
 * Express middleware for JSON APIs: a path or query that carries a NUL character, or a body
 * outside the bounds, is refused with a 400 naming the problem, before any handler runs.
 * `body: false` leaves the body to a reader that checked it already (jsonBody with bounds).
 */
export function rejectUnboundedInput(
  bounds: InputBounds = DEFAULT_INPUT_BOUNDS,
  options: { body?: boolean } = {},
): express.RequestHandler {
  const checkBody = options.body ?? true;
  return (req, _res, next) => {
    if (/%00/.test(req.originalUrl) || req.originalUrl.includes('\u0000')) {
      next(
        new InputError(
          'The request path or query contains a NUL character (%00), which no id or filter holds',
        ),
      );
      return;
    }
    const problem =
      findBoundsProblem(req.query, bounds, 'query') ??
      (req.body === undefined || !checkBody
        ? undefined
        : findBoundsProblem(req.body, bounds));
    next(problem ? new InputError(`Invalid request: ${problem}`) : undefined);
  };
}

/** An entity reference query parameter (`component:default/checkout`), parsed, or a 400. */
export const entityRefParam = z
  .string()
  .min(1)
  .max(255)
  .superRefine((value, ctx) => {
    try {
      parseEntityRef(value);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `must be an entity reference like component:default/name (${
          (error as Error).message
        })`,
      });
    }
  });
