import express from 'express';
import Router from 'express-promise-router';
import { HttpAuthService } from '@backstage/backend-plugin-api';
import { UnsupportedMediaTypeError } from '../service/UnsupportedMediaTypeError';
import { parseOtlpLogs, parseOtlpMetrics, parseOtlpTraces } from './otlpJson';
import { TelemetryBatch, TelemetryStore } from './TelemetryStore';

/** Largest OTLP export accepted; the collector's default batch stays far below it. */
export const OTLP_BODY_LIMIT = '10mb';

const PROTOBUF_TYPES = ['application/x-protobuf', 'application/protobuf'];

/** Each OTLP/HTTP path and how its JSON body becomes a batch. */
const SIGNALS: Record<string, (body: unknown) => TelemetryBatch> = {
  '/v1/traces': body => ({ spans: parseOtlpTraces(body) }),
  '/v1/metrics': body => ({ metrics: parseOtlpMetrics(body) }),
  '/v1/logs': body => ({ logs: parseOtlpLogs(body) }),
};

/**
 * The embedded OTLP/HTTP receiver: `POST /v1/traces`, `/v1/metrics` and `/v1/logs` with OTLP/JSON
 * bodies (gzip or not). Exporters authenticate with a Backstage external-access token (service
 * principal). A stored export is answered 200 `{ partialSuccess: {} }`, as OTLP/HTTP expects; a
 * malformed one 400 with the path of the bad field; protobuf 415 (not supported yet).
 */
export async function createOtlpRouter(options: {
  store: TelemetryStore;
  httpAuth: HttpAuthService;
}): Promise<express.Router> {
  const { store, httpAuth } = options;
  const router = Router();

  for (const [path, parse] of Object.entries(SIGNALS)) {
    router.post(
      path,
      async (req, _res, next) => {
        await httpAuth.credentials(req, { allow: ['service'] });
        assertJson(req);
        next();
      },
      express.json({ limit: OTLP_BODY_LIMIT }),
      async (req, res) => {
        await store.ingest(parse(req.body));
        res.status(200).json({ partialSuccess: {} });
      },
    );
  }

  return router;
}

function assertJson(req: express.Request): void {
  if (req.is('application/json')) {
    return;
  }
  const contentType = req.get('content-type');
  if (req.is(PROTOBUF_TYPES)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type ${contentType} is not supported yet; send OTLP/JSON (application/json)`,
    );
  }
  throw new UnsupportedMediaTypeError(
    `Content-Type must be application/json (OTLP/JSON), got ${
      contentType ?? 'none'
    }`,
  );
}
