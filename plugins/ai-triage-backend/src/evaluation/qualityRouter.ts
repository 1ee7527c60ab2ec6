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
import { parseInput } from '../ingest/fromZodError';
import { ReviewQualityStore } from './ReviewQualityStore';
import { summarizeReviews } from './reviewQuality';

const DAY_MS = 86_400_000;

const querySchema = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

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
    const query = parseInput(querySchema, req.query, 'query');
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from
      ? new Date(query.from)
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
