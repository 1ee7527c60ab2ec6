import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { fromZodError, inputIssueMessage } from '../../ingest/fromZodError';
import { findBoundsProblem } from '../../service/inputBounds';
import { DEFAULT_OTLP_LIMITS, OtlpLimits, OtlpReadOptions } from './limits';
import { resourceSchema, serviceNameOf } from './resource';
import { describe } from './scalars';

/*
 * What the signal readers share: the partial-success result (records kept, records rejected
 * and why), the bounds and time window every record is checked against, and how a reader's
 * steps are drained.
 */

/** Records parsed from one export, and how many were left out (OTLP partial success). */
export type OtlpParseResult<T> = {
  records: T[];
  /** Records (spans, log records, data points) rejected as invalid. */
  rejected: number;
  /** What was wrong with the first rejected records, naming their paths; "" when none was. */
  errorMessage: string;
};

/** The latest instant a JavaScript Date holds (+275760-09-13). */
const MAX_DATE_MS = 8.64e15;

/** A path as fromZodError writes it: `resourceLogs[0].scopeLogs[0].logRecords[2]`. */
function formatPath(path: Array<string | number>): string {
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${part}`,
    )
    .join('');
}

/** Longest errorMessage of a partial success; the first problems are enough to fix a sender. */
const MAX_ERROR_MESSAGE = 1000;

export class ParseResultBuilder<T> {
  readonly records: T[] = [];
  private rejected = 0;
  private readonly messages: string[] = [];
  private readonly limits: OtlpLimits;
  private readonly nowMs?: number;

  constructor(options: OtlpReadOptions = {}) {
    this.limits = options.limits ?? DEFAULT_OTLP_LIMITS;
    this.nowMs = options.nowMs;
  }

  /**
   * Whether the record's time (Unix nanoseconds) lies in the window around now; else the record
   * is counted as rejected. Always false for times no JavaScript date can hold (1e300).
   */
  inWindow(nanos: bigint, path: Array<string | number>): boolean {
    const ms = Number(nanos / 1_000_000n);
    let problem: string | undefined;
    if (ms > MAX_DATE_MS) {
      problem = 'is not a time any date can hold';
    } else if (this.nowMs !== undefined) {
      if (ms > this.nowMs + this.limits.maxClockSkewMs) {
        problem = `lies ${Math.round(
          (ms - this.nowMs) / 1000,
        )} s ahead of the receiver's clock, over the allowed ${
          this.limits.maxClockSkewMs / 1000
        } s (aiTriage.otlp.maxClockSkewSeconds)`;
      } else if (ms < this.nowMs - this.limits.maxTimestampAgeMs) {
        problem = `lies more than ${
          this.limits.maxTimestampAgeMs / 86_400_000
        } days in the past (aiTriage.otlp.maxTimestampAgeDays)`;
      }
    }
    if (!problem) return true;
    this.reject(1, `${formatPath(path)}: ${problem}`);
    return false;
  }

  private reject(count: number, message: string): void {
    this.rejected += count;
    if (this.messages.join('; ').length < MAX_ERROR_MESSAGE) {
      this.messages.push(message);
    }
  }

  /** The resource's service.name, or undefined when the resource is invalid (all rejected). */
  serviceNameOf(
    raw: unknown,
    path: Array<string | number>,
    recordCount: number,
  ): string | undefined {
    const resource = this.check(resourceSchema, raw, path, recordCount);
    if (resource === undefined && raw !== undefined) return undefined;
    return serviceNameOf(resource);
  }

  /** The record parsed, or undefined when it is invalid (then counted as `count` rejected). */
  check<Out>(
    schema: z.ZodType<Out, unknown>,
    raw: unknown,
    path: Array<string | number>,
    count = 1,
  ): Out | undefined {
    const bounds = findBoundsProblem(
      raw,
      {
        maxDepth: this.limits.maxDepth,
        maxEntries: this.limits.maxEntries,
        maxStringLength: this.limits.maxStringLength,
        maxAttributes: this.limits.maxAttributes,
      },
      formatPath(path),
    );
    if (bounds) {
      this.reject(count, bounds);
      return undefined;
    }
    const parsed = schema.safeParse(raw, { error: inputIssueMessage });
    if (parsed.success) return parsed.data;
    this.reject(
      count,
      fromZodError(
        new z.ZodError(
          parsed.error.issues.map(issue => ({
            ...issue,
            path: [...path, ...issue.path],
          })),
        ),
      ),
    );
    return undefined;
  }

  build(): OtlpParseResult<T> {
    const message = this.messages.join('; ');
    return {
      records: this.records,
      rejected: this.rejected,
      errorMessage:
        message.length > MAX_ERROR_MESSAGE
          ? `${message.slice(0, MAX_ERROR_MESSAGE)}...`
          : message,
    };
  }
}

/** A reader's work, one step per record: drained at once, or in slices between other work. */
export type OtlpSteps<T> = Generator<void, OtlpParseResult<T>, void>;

export function runSync<T>(steps: OtlpSteps<T>): OtlpParseResult<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * Drains a reader in slices of at most `sliceMs`, yielding to the event loop between them, so a
 * large export never holds health checks and other requests for longer than a slice.
 */
export async function runSliced<T>(
  steps: OtlpSteps<T>,
  sliceMs = 10,
): Promise<OtlpParseResult<T>> {
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart > sliceMs) {
      await new Promise(resolve => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

export function allOrNothing<T>(result: OtlpParseResult<T>, what: string): T[] {
  if (result.rejected > 0) {
    throw new InputError(`Invalid OTLP/JSON ${what}: ${result.errorMessage}`);
  }
  return result.records;
}

export function parse<T>(
  schema: z.ZodType<T, unknown>,
  body: unknown,
  what: string,
): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError(
      `Expected an OTLP/JSON ${what} object, got ${describe(body)}`,
    );
  }
  const result = schema.safeParse(body, { error: inputIssueMessage });
  if (!result.success) {
    throw new InputError(
      `Invalid OTLP/JSON ${what}: ${fromZodError(result.error)}`,
    );
  }
  return result.data;
}
