import express from 'express';
import { InputError } from '@backstage/errors';
import { TokenParser, TokenType, Tokenizer } from '@streamparser/json';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { InputBounds } from './inputBounds';

/**
 * How a JSON body is read:
 * - `bounds`: refuse the body (InputError naming the path) as soon as the tokens pass a limit
 *   of nesting, entries, string length or hold a NUL, before the rest is read;
 * - `truncateDepth`: instead of refusing, replace every object or array nested this deep with
 *   `{}` (for OTLP, whose per-record checks reject the record that held it and keep the rest).
 */
export type JsonReadOptions = {
  bounds?: InputBounds;
  truncateDepth?: number;
  /** Bytes tokenized between checks of the clock (default 16 KiB). */
  sliceBytes?: number;
  /** Longest run of parsing before yielding to the event loop (default 8 ms). */
  sliceMs?: number;
};

const VALUE_STARTS = new Set([
  TokenType.LEFT_BRACE,
  TokenType.LEFT_BRACKET,
  TokenType.STRING,
  TokenType.NUMBER,
  TokenType.TRUE,
  TokenType.FALSE,
  TokenType.NULL,
]);

type Frame = {
  kind: 'object' | 'array';
  entries: number;
  key?: string;
  expectKey: boolean;
};

/**
 * Sits between the tokenizer and the parser: tracks where each token is (for the bounds and
 * their messages) and drops what is nested past `truncateDepth`.
 */
class TokenGuard {
  private readonly frames: Frame[] = [];
  /** Open containers below the truncation depth, by kind, while skipping. */
  private readonly skipped: TokenType[] = [];

  constructor(
    private readonly parser: TokenParser,
    private readonly options: JsonReadOptions,
  ) {}

  write(token: TokenType, value: unknown): void {
    if (this.skipped.length > 0) {
      this.skip(token);
      return;
    }
    const frame = this.frames.at(-1);
    const opens =
      token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET;
    if (
      token === TokenType.STRING &&
      frame?.kind === 'object' &&
      frame.expectKey
    ) {
      frame.entries += 1;
      frame.expectKey = false;
      this.checkEntries(frame);
      this.checkString(value as string, true);
      frame.key = value as string;
    } else if (VALUE_STARTS.has(token)) {
      if (frame?.kind === 'array') {
        frame.entries += 1;
        this.checkEntries(frame);
      }
      if (token === TokenType.STRING) {
        this.checkString(value as string, false);
      }
    }
    if (opens) {
      const depth = this.frames.length;
      if (
        this.options.truncateDepth !== undefined &&
        depth >= this.options.truncateDepth
      ) {
        this.skipped.push(token);
        return;
      }
      const { bounds } = this.options;
      if (bounds && depth >= bounds.maxDepth) {
        throw new InputError(
          `Invalid request: ${this.path()}: nested deeper than ${
            bounds.maxDepth
          } levels`,
        );
      }
      this.frames.push({
        kind: token === TokenType.LEFT_BRACE ? 'object' : 'array',
        entries: 0,
        expectKey: token === TokenType.LEFT_BRACE,
      });
    } else if (
      token === TokenType.RIGHT_BRACE ||
      token === TokenType.RIGHT_BRACKET
    ) {
      this.frames.pop();
    } else if (token === TokenType.COMMA && frame?.kind === 'object') {
      frame.expectKey = true;
    }
    this.parser.write({ token, value } as Parameters<TokenParser['write']>[0]);
  }

  /** Inside a truncated container: only brackets count; at its end, `{}` stands for it. */
  private skip(token: TokenType): void {
    if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) {
      this.skipped.push(token);
      return;
    }
    if (token !== TokenType.RIGHT_BRACE && token !== TokenType.RIGHT_BRACKET) {
      return;
    }
    const open = this.skipped.pop();
    const matches =
      (open === TokenType.LEFT_BRACE && token === TokenType.RIGHT_BRACE) ||
      (open === TokenType.LEFT_BRACKET && token === TokenType.RIGHT_BRACKET);
    if (!matches) {
      throw new InputError(
        'Body is not valid JSON: a bracket closes what it did not open',
      );
    }
    if (this.skipped.length === 0) {
      this.parser.write({ token: TokenType.LEFT_BRACE, value: '{' });
      this.parser.write({ token: TokenType.RIGHT_BRACE, value: '}' });
    }
  }

  private checkEntries(frame: Frame): void {
    const { bounds } = this.options;
    if (bounds && frame.entries > bounds.maxEntries) {
      throw new InputError(
        `Invalid request: ${this.path(-1)}: more than ${
          bounds.maxEntries
        } entries, over the limit of ${bounds.maxEntries}`,
      );
    }
  }

  /** A key or string value outside the bounds, named by its path. */
  private checkString(value: string, isKey: boolean): void {
    const { bounds } = this.options;
    if (!bounds) return;
    let problem: string | undefined;
    if (value.length > bounds.maxStringLength) {
      problem = `string of ${value.length} characters, over the limit of ${bounds.maxStringLength}`;
    } else if (value.includes('\u0000')) {
      problem = 'contains a NUL character (\\u0000), which cannot be stored';
    }
    if (problem) {
      const where = isKey ? `${this.path(-1)}: key` : `${this.path()}:`;
      throw new InputError(`Invalid request: ${where} ${problem}`);
    }
  }

  /**
   * Where the parser is (`alerts[3].labels.env`), or `body`; `path(-1)`: of the innermost
   * container itself.
   */
  private path(end?: number): string {
    let path = '';
    for (const frame of this.frames.slice(0, end)) {
      if (frame.kind === 'array') {
        path += `[${frame.entries - 1}]`;
      } else if (frame.key !== undefined) {
        path += path ? `.${frame.key}` : frame.key;
      }
    }
    return path || 'body';
  }
}

/**
 * Parses JSON bytes with a streaming tokenizer (@streamparser/json) in slices, yielding to the
 * event loop between them, so a body of many megabytes never holds the loop for longer than a
 * slice; the bounds are checked token by token, so nothing nested or sized past them is built.
 *
 * @throws InputError when the bytes are not one JSON object or array, or pass the bounds
 */
export async function parseJsonSliced(
  bytes: Uint8Array,
  options: JsonReadOptions = {},
): Promise<unknown> {
  const sliceBytes = options.sliceBytes ?? 16_384;
  const sliceMs = options.sliceMs ?? 8;
  const tokenizer = new Tokenizer({ stringBufferSize: 65_536 });
  const parser = new TokenParser({ paths: ['$'], keepStack: false });
  const guard = new TokenGuard(parser, options);
  let root: unknown;
  let done = false;
  parser.onValue = ({ value }) => {
    root = value;
  };
  parser.onEnd = () => {
    done = true;
  };
  tokenizer.onToken = token => guard.write(token.token, token.value);
  const fail = (error: unknown): never => {
    if (error instanceof InputError) throw error;
    throw new InputError(
      `Body is not valid JSON: ${(error as Error).message ?? error}`,
    );
  };
  // Writes after the parser ended (a second document) are refused by the tokenizer.
  tokenizer.onError = fail;
  parser.onError = fail;

  let sliceStart = performance.now();
  for (let offset = 0; offset < bytes.length; offset += sliceBytes) {
    tokenizer.write(bytes.subarray(offset, offset + sliceBytes));
    if (performance.now() - sliceStart >= sliceMs) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
  if (!tokenizer.isEnded) tokenizer.end();
  if (!done || root === undefined) {
    throw new InputError(
      bytes.length === 0
        ? 'Body is empty; send a JSON object'
        : 'Body is not valid JSON: it ends before the value does',
    );
  }
  if (typeof root !== 'object' || root === null) {
    throw new InputError('Body must be a JSON object or array');
  }
  return root;
}

type RawBodyRequest = express.Request & { rawBody?: Buffer };

/**
 * Express middleware: reads a JSON body as body-parser does (size limit, gzip and deflate,
 * its 413 and 415 errors) but without parsing it at once, then parses it in slices
 * ({@link parseJsonSliced}) into `req.body`; the bytes stay in `req.rawBody`.
 */
export function jsonBody(
  options: JsonReadOptions & { limit: number | string; type?: string },
): express.RequestHandler {
  const readRaw = express.raw({
    limit: options.limit,
    type: options.type ?? 'application/json',
  });
  return (req, res, next) => {
    readRaw(req, res, error => {
      if (error) {
        next(error);
        return;
      }
      if (!Buffer.isBuffer(req.body)) {
        next(); // another content type: not for this reader
        return;
      }
      const bytes = req.body;
      (req as RawBodyRequest).rawBody = bytes;
      parseJsonSliced(bytes, options).then(body => {
        req.body = body;
        next();
      }, next);
    });
  };
}
