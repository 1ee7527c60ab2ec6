import express from 'express';
import Router from 'express-promise-router';
import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { ALERT_SOURCES } from '@ai-triage/plugin-ai-triage-common';
import { AlertIngestor } from '../ingest/AlertIngestor';
import { DEFAULT_INPUT_BOUNDS, rejectUnboundedInput } from './inputBounds';
import { jsonBody } from './jsonBody';
import { PayloadTooLargeError } from './PayloadTooLargeError';
import { UnsupportedMediaTypeError } from './UnsupportedMediaTypeError';

type RawBodyRequest = express.Request & { rawBody?: Buffer };

/**
 * `POST /webhooks/{alertmanager,grafana,pagerduty,generic}`: senders authenticate with a
 * Backstage external-access token (service principal). The answer is 202 once the delivery is
 * stored; enrichment and reasoning follow on the queue. A body over `maxBodyBytes` gets 413,
 * one that is not JSON 400 or 415, one past the input bounds 400, all before anything is read
 * into the store. The body is parsed in slices, so a large one never stalls the event loop.
 */
export async function createWebhookRouter(options: {
  httpAuth: HttpAuthService;
  ingestor: AlertIngestor;
  maxBodyBytes: number;
}): Promise<express.Router> {
  const { httpAuth, ingestor, maxBodyBytes } = options;
  const router = Router();

  // Read in slices with the bounds checked token by token: a hostile body holds no other
  // request up, and is refused before it is built.
  const parseJson = jsonBody({
    limit: maxBodyBytes,
    bounds: DEFAULT_INPUT_BOUNDS,
  });

  for (const source of ALERT_SOURCES) {
    router.post(
      `/${source}`,
      async (req, _res, next) => {
        await httpAuth.credentials(req, { allow: ['service'] });
        if (!req.is('application/json')) {
          throw new UnsupportedMediaTypeError(
            `Content-Type must be application/json, got ${
              req.get('content-type') ?? 'none'
            }`,
          );
        }
        next();
      },
      (req, res, next) =>
        parseJson(req, res, error =>
          next(error ? bodyError(error, maxBodyBytes) : undefined),
        ),
      rejectUnboundedInput(DEFAULT_INPUT_BOUNDS, { body: false }),
      async (req: RawBodyRequest, res) => {
        const accepted = await ingestor.ingest(
          source,
          req.body,
          req.rawBody ?? Buffer.alloc(0),
        );
        res.status(202).json(accepted);
      },
    );
  }

  return router;
}

/** body-parser's errors, with a message that says what to change. */
function bodyError(
  error: { type?: string; length?: number; message?: string },
  maxBodyBytes: number,
): Error {
  if (error.type === 'entity.too.large') {
    const size = error.length ? ` of ${error.length} bytes` : '';
    return new PayloadTooLargeError(
      `Body${size} is over the limit of ${maxBodyBytes} bytes (aiTriage.intake.maxBodyBytes)`,
    );
  }
  if (error.type === 'entity.parse.failed') {
    return new InputError(`Body is not valid JSON: ${error.message}`);
  }
  return error as Error;
}
