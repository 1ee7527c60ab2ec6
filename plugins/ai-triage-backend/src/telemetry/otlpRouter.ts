import express from 'express';
import Router from 'express-promise-router';
import { HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import {
  LogRecord,
  MetricPoint,
  SpanRecord,
} from '@ai-triage/plugin-ai-triage-node';
import { UnsupportedMediaTypeError } from '../service/UnsupportedMediaTypeError';
import { jsonBody } from '../service/jsonBody';
import {
  DEFAULT_OTLP_LIMITS,
  OtlpLimits,
  OtlpParseResult,
  OtlpReadOptions,
  OtlpSignal,
  encodeOtlpProtobufResponse,
  encodeRpcStatus,
  logSteps,
  metricSteps,
  otlpResponseBody,
  runSliced,
  traceSteps,
} from './otlp';
import { TelemetryBatch, TelemetryStore } from './TelemetryStore';
import { OtlpProtobufDecoder } from './OtlpProtobufDecoder';

/**
 * Largest OTLP export accepted, after gzip is undone; the SDKs' and the collector's default
 * batches stay far below it.
 */
const OTLP_BODY_LIMIT = '10mb';

const JSON_TYPE = 'application/json';
const PROTOBUF_TYPES = ['application/x-protobuf', 'application/protobuf'];

type AnyRecord = SpanRecord | MetricPoint | LogRecord;

/** How each signal's records are read (in slices) and put in a batch for the store. */
const SIGNALS: Record<
  OtlpSignal,
  {
    read(
      body: unknown,
      options: OtlpReadOptions,
    ): Promise<OtlpParseResult<AnyRecord>>;
    batch(records: AnyRecord[]): TelemetryBatch;
  }
> = {
  traces: {
    read: (body, options) => runSliced(traceSteps(body, options)),
    batch: records => ({ spans: records as SpanRecord[] }),
  },
  metrics: {
    read: (body, options) => runSliced(metricSteps(body, options)),
    batch: records => ({ metrics: records as MetricPoint[] }),
  },
  logs: {
    read: (body, options) => runSliced(logSteps(body, options)),
    batch: records => ({ logs: records as LogRecord[] }),
  },
};

/**
 * The embedded OTLP/HTTP receiver: `POST /v1/traces`, `/v1/metrics` and `/v1/logs` with OTLP
 * bodies in protobuf (`application/x-protobuf`) or JSON (`application/json`), gzip or not, as
 * the OTLP/HTTP specification has them. Exporters authenticate with a Backstage external-access
 * token (service principal).
 *
 * - A stored export is answered 200 with the signal's `Export*ServiceResponse` in the request's
 *   encoding: an empty `partialSuccess`, or the count of invalid records left out and why.
 * - Errors are answered with a `google.rpc.Status` (`{code, message}`) in the request's
 *   encoding: 400 for a malformed body, 401/403 without a service token, 413 over the size
 *   limit, 415 for another content type or encoding, 503 only when the store is unavailable
 *   (exporters retry 503; nothing of the export was stored). A record the database refuses
 *   (a value it cannot hold) is found by splitting the batch, and counted as rejected, so one
 *   bad record never makes the exporter re-send, and lose, its whole batch.
 * - Bodies are parsed and records read in slices that yield to the event loop (protobuf is
 *   decoded in a worker thread), and each record is checked
 *   against the limits (nesting, attributes, list and string sizes, a time window around now)
 *   before any recursive work.
 */
export async function createOtlpRouter(options: {
  store: TelemetryStore;
  httpAuth: HttpAuthService;
  logger: LoggerService;
  limits?: OtlpLimits;
}): Promise<express.Router> {
  const { store, httpAuth, logger } = options;
  const limits = options.limits ?? DEFAULT_OTLP_LIMITS;
  // Deeper than any record's limit allows, envelope included: such values are cut to {}.
  const truncateDepth = limits.maxDepth + 32;
  const protobufDecoder = new OtlpProtobufDecoder({ truncateDepth });
  const router = Router();

  for (const [signal, reader] of Object.entries(SIGNALS) as Array<
    [OtlpSignal, (typeof SIGNALS)[OtlpSignal]]
  >) {
    router.post(
      `/v1/${signal}`,
      async (req, _res, next) => {
        await httpAuth.credentials(req, { allow: ['service'] });
        assertOtlpContentType(req);
        next();
      },
      // Parsed in event-loop slices (protobuf: decoded in a worker thread, then so); values
      // nested past any record's limit become {}, and their record is rejected.
      jsonBody({ limit: OTLP_BODY_LIMIT, type: JSON_TYPE, truncateDepth }),
      express.raw({ limit: OTLP_BODY_LIMIT, type: PROTOBUF_TYPES }),
      async (req, res) => {
        const protobuf = isProtobuf(req);
        const body = protobuf
          ? await protobufDecoder.decode(signal, req.body as Buffer)
          : req.body;
        const parsed = await reader.read(body, { limits, nowMs: Date.now() });
        const refused = await storeRefusing(
          store,
          parsed.records,
          reader.batch,
          logger,
        );
        if (refused > 0) {
          parsed.rejected += refused;
          parsed.errorMessage = [
            parsed.errorMessage,
            `${refused} records held values the store cannot hold`,
          ]
            .filter(Boolean)
            .join('; ');
        }
        if (parsed.rejected > 0) {
          logger.warn(`OTLP ${signal} export partly rejected`, {
            rejected: parsed.rejected,
            errorMessage: parsed.errorMessage,
          });
        }
        if (protobuf) {
          res
            .status(200)
            .type('application/x-protobuf')
            .send(Buffer.from(encodeOtlpProtobufResponse(signal, parsed)));
        } else {
          res.status(200).json(otlpResponseBody(signal, parsed));
        }
      },
    );
  }

  router.use(
    (
      error: Error,
      req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      if (res.headersSent) {
        next(error);
        return;
      }
      const { status, message } = describeError(error);
      if (status >= 500) {
        logger.error(`OTLP export failed: ${message}`, error);
      }
      const rpcStatus = { code: rpcCodeOf(status), message };
      if (isProtobuf(req)) {
        res
          .status(status)
          .type('application/x-protobuf')
          .send(Buffer.from(encodeRpcStatus(rpcStatus)));
      } else {
        res.status(status).json(rpcStatus);
      }
    },
  );

  return router;
}

/**
 * PostgreSQL's data exceptions (22xxx: a value out of range, an invalid byte sequence) and
 * integrity violations (23xxx): the record is at fault, and re-sending it cannot help.
 */
function isRecordFault(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

/**
 * Stores the records; when the database refuses a value, halves the batch until the refused
 * records are alone, stores the rest and returns how many were refused. Any other failure is
 * the store being unavailable: a 503 whose message names no internals.
 */
async function storeRefusing(
  store: TelemetryStore,
  records: AnyRecord[],
  batch: (records: AnyRecord[]) => TelemetryBatch,
  logger: LoggerService,
): Promise<number> {
  if (records.length === 0) return 0;
  try {
    await store.ingest(batch(records));
    return 0;
  } catch (error) {
    if (!isRecordFault(error)) {
      // The cause stays in the log: its SQL is nothing an exporter should see.
      logger.error(
        'The telemetry store failed to store an OTLP export',
        error as Error,
      );
      throw new ServiceUnavailableError(
        'The telemetry store is unavailable; retry later',
      );
    }
    if (records.length === 1) return 1;
    const half = Math.ceil(records.length / 2);
    return (
      (await storeRefusing(store, records.slice(0, half), batch, logger)) +
      (await storeRefusing(store, records.slice(half), batch, logger))
    );
  }
}

function isProtobuf(req: express.Request): boolean {
  return Boolean(req.is(PROTOBUF_TYPES));
}

function assertOtlpContentType(req: express.Request): void {
  if (req.is(JSON_TYPE) || isProtobuf(req)) {
    return;
  }
  throw new UnsupportedMediaTypeError(
    `Content-Type must be application/x-protobuf or application/json (OTLP/HTTP), got ${
      req.get('content-type') ?? 'none'
    }`,
  );
}

/** Statuses of the errors the receiver throws, by name (@backstage/errors and its own). */
const STATUS_BY_NAME: Record<string, number> = {
  InputError: 400,
  AuthenticationError: 401,
  NotAllowedError: 403,
  NotFoundError: 404,
  UnsupportedMediaTypeError: 415,
  ServiceUnavailableError: 503,
};

/** The HTTP status and message of an error from a handler or from body-parser. */
function describeError(
  error: Error & {
    status?: number;
    type?: string;
  },
): { status: number; message: string } {
  if (error.type === 'entity.too.large') {
    return {
      status: 413,
      message: `The OTLP export is larger than the ${OTLP_BODY_LIMIT} limit (after decompression)`,
    };
  }
  if (error.type === 'encoding.unsupported') {
    return {
      status: 415,
      message: `${error.message}; send gzip or no Content-Encoding`,
    };
  }
  const status =
    STATUS_BY_NAME[error.name] ??
    (typeof error.status === 'number' ? error.status : 500);
  return {
    status,
    message:
      status >= 500 && !STATUS_BY_NAME[error.name]
        ? 'Internal error'
        : error.message,
  };
}

/** The google.rpc.Code for an HTTP status, as googleapis maps them. */
function rpcCodeOf(status: number): number {
  switch (status) {
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return status < 500 ? 3 /* INVALID_ARGUMENT */ : 13; /* INTERNAL */
  }
}
