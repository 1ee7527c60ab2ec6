import express from 'express';
import Router from 'express-promise-router';
import { HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import { UnsupportedMediaTypeError } from '../service/UnsupportedMediaTypeError';
import {
  OtlpParseResult,
  readOtlpLogs,
  readOtlpMetrics,
  readOtlpTraces,
} from './otlpJson';
import {
  OtlpSignal,
  decodeOtlpProtobuf,
  encodeOtlpProtobufResponse,
  encodeRpcStatus,
  otlpResponseBody,
} from './otlpProtobuf';
import { TelemetryBatch, TelemetryStore } from './TelemetryStore';

/**
 * Largest OTLP export accepted, after gzip is undone; the SDKs' and the collector's default
 * batches stay far below it.
 */
export const OTLP_BODY_LIMIT = '10mb';

const JSON_TYPE = 'application/json';
const PROTOBUF_TYPES = ['application/x-protobuf', 'application/protobuf'];

/** How each signal's records are parsed and batched for the store. */
const SIGNALS: Record<
  OtlpSignal,
  (body: unknown) => { parsed: OtlpParseResult<unknown>; batch: TelemetryBatch }
> = {
  traces: body => {
    const parsed = readOtlpTraces(body);
    return { parsed, batch: { spans: parsed.records } };
  },
  metrics: body => {
    const parsed = readOtlpMetrics(body);
    return { parsed, batch: { metrics: parsed.records } };
  },
  logs: body => {
    const parsed = readOtlpLogs(body);
    return { parsed, batch: { logs: parsed.records } };
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
 *   limit, 415 for another content type or encoding, 503 when the store fails (exporters retry
 *   503; nothing of the export was stored).
 */
export async function createOtlpRouter(options: {
  store: TelemetryStore;
  httpAuth: HttpAuthService;
  logger: LoggerService;
}): Promise<express.Router> {
  const { store, httpAuth, logger } = options;
  const router = Router();

  for (const [signal, parse] of Object.entries(SIGNALS) as Array<
    [OtlpSignal, (typeof SIGNALS)[OtlpSignal]]
  >) {
    router.post(
      `/v1/${signal}`,
      async (req, _res, next) => {
        await httpAuth.credentials(req, { allow: ['service'] });
        assertOtlpContentType(req);
        next();
      },
      express.json({ limit: OTLP_BODY_LIMIT, type: JSON_TYPE }),
      express.raw({ limit: OTLP_BODY_LIMIT, type: PROTOBUF_TYPES }),
      async (req, res) => {
        const protobuf = isProtobuf(req);
        const body = protobuf
          ? decodeOtlpProtobuf(signal, req.body as Buffer)
          : req.body;
        const { parsed, batch } = parse(body);
        try {
          await store.ingest(batch);
        } catch (error) {
          throw new ServiceUnavailableError(
            'The telemetry store could not store the export; retry later',
            error,
          );
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
