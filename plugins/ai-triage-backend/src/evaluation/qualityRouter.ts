import express from 'express';
import Router from 'express-promise-router';
import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  TriageQualityResponse,
  aiTriageQualityReadPermission,
} from '@ai-triage/plugin-ai-triage-common';
import { z } from 'zod';
import { fromZodError } from '../ingest/fromZodError';
import { ReviewQualityStore } from './ReviewQualityStore';
import { summarizeReviews } from './reviewQuality';

const DAY_MS = 86_400_000;

const querySchema = z
  .object({
    from: z.string().datetime({ offset: true }).optional(),
    to: z.string().datetime({ offset: true }).optional(),
  })
  .strict();

/**
 * `GET /quality?from=ISO&to=ISO` (default: the last 30 days): review outcomes and calibration,
 * and the replay runs recorded in the range beside their incidents' live answers.
 */
export async function createQualityRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  store: ReviewQualityStore;
}): Promise<express.Router> {
  const { httpAuth, permissions, store } = options;
  const router = Router();
  router.get('/quality', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const [decision] = await permissions.authorize(
      [{ permission: aiTriageQualityReadPermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `Missing permission ${aiTriageQualityReadPermission.name}`,
      );
    }
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) {
      throw new InputError(`Invalid query: ${fromZodError(parsed.error)}`);
    }
    const to = parsed.data.to ? new Date(parsed.data.to) : new Date();
    const from = parsed.data.from
      ? new Date(parsed.data.from)
      : new Date(to.getTime() - 30 * DAY_MS);
    if (!(from < to)) {
      throw new InputError('Invalid query: from must be before to');
    }
    const range = { from, to };
    const [reviewed, runs, replays] = await Promise.all([
      store.listReviewed(range),
      store.countRuns(range),
      store.listReplays(range),
    ]);
    const body: TriageQualityResponse = {
      from: from.toISOString(),
      to: to.toISOString(),
      ...summarizeReviews(reviewed, runs),
      replays,
    };
    res.json(body);
  });
  return router;
}
