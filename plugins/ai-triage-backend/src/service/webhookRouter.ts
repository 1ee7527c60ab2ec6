import express from 'express';
import Router from 'express-promise-router';
import { HttpAuthService } from '@backstage/backend-plugin-api';
import { AlertIngestor } from '../ingest/AlertIngestor';
import { UnsupportedMediaTypeError } from './UnsupportedMediaTypeError';

/** Largest webhook body accepted; Alertmanager's biggest groups stay far below it. */
export const WEBHOOK_BODY_LIMIT = '1mb';

type RawBodyRequest = express.Request & { rawBody?: Buffer };

/**
 * `POST /webhooks/:source`: senders authenticate with a Backstage external-access token
 * (service principal). The answer is 202 once the delivery is stored; enrichment and reasoning
 * follow on the queue.
 */
export async function createWebhookRouter(options: {
  httpAuth: HttpAuthService;
  ingestor: AlertIngestor;
}): Promise<express.Router> {
  const { httpAuth, ingestor } = options;
  const router = Router();

  router.post(
    '/alertmanager',
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
    express.json({
      limit: WEBHOOK_BODY_LIMIT,
      verify: (req, _res, buf) => {
        (req as RawBodyRequest).rawBody = Buffer.from(buf);
      },
    }),
    async (req: RawBodyRequest, res) => {
      const accepted = await ingestor.ingestAlertmanager(
        req.body,
        req.rawBody ?? Buffer.alloc(0),
      );
      res.status(202).json(accepted);
    },
  );

  return router;
}
