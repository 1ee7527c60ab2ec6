import express from 'express';
import Router from 'express-promise-router';
import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import {
  IncidentDetailResponse,
  IncidentListResponse,
  aiTriageHypothesisReviewPermission,
  aiTriageIncidentReadPermission,
  reviewRequestSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { z } from 'zod';
import { IncidentStore } from '../database/IncidentStore';
import { JobQueue } from '../database/JobQueue';
import { TriageStore } from '../database/TriageStore';
import { EntityResolver } from '../ingest/EntityResolver';
import { fromZodError } from '../ingest/fromZodError';

const listQuerySchema = z.object({
  entityRef: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const jobsQuerySchema = z.object({
  status: z.enum(['queued', 'running', 'done', 'dead']).optional(),
  incidentId: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The API the portal reads and reviews through. Every route needs a signed-in user. */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  incidents: IncidentStore;
  triage: TriageStore;
  queue: JobQueue;
  entities: EntityResolver;
}): Promise<express.Router> {
  const { httpAuth, permissions, incidents, triage, queue, entities } = options;
  const router = Router();
  router.use(express.json({ limit: '64kb' }));

  async function authorize(req: express.Request, permission: BasicPermission) {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const [decision] = await permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`Missing permission ${permission.name}`);
    }
    return credentials;
  }

  function parse<T extends z.ZodTypeAny>(
    schema: T,
    value: unknown,
    what: string,
  ): z.infer<T> {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new InputError(`Invalid ${what}: ${fromZodError(parsed.error)}`);
    }
    return parsed.data;
  }

  router.get('/incidents', async (req, res) => {
    await authorize(req, aiTriageIncidentReadPermission);
    const query = parse(listQuerySchema, req.query, 'query');
    const serviceNames = query.entityRef
      ? await entities.serviceNamesOf(query.entityRef)
      : [];
    const items = await incidents.listIncidents({
      entityRef: query.entityRef,
      serviceNames,
      limit: query.limit,
    });
    const body: IncidentListResponse = { items };
    res.json(body);
  });

  router.get('/incidents/:id', async (req, res) => {
    await authorize(req, aiTriageIncidentReadPermission);
    const incident = await incidents.getIncident(req.params.id);
    if (!incident) {
      throw new NotFoundError(`Incident ${req.params.id} not found`);
    }
    const [alerts, context, hypotheses, run] = await Promise.all([
      incidents.listAlerts(incident.id),
      triage.getLatestContext(incident.id),
      triage.listHypotheses(incident.id),
      triage.getLatestRun(incident.id),
    ]);
    const body: IncidentDetailResponse = {
      incident,
      alerts,
      context: context?.document ?? null,
      hypotheses,
      insufficientEvidence: run?.insufficientEvidence ?? false,
    };
    res.json(body);
  });

  router.post(
    '/incidents/:id/hypotheses/:hypothesisId/reviews',
    async (req, res) => {
      const credentials = await authorize(
        req,
        aiTriageHypothesisReviewPermission,
      );
      const review = parse(reviewRequestSchema, req.body, 'review');
      const created = await triage.addReview({
        incidentId: req.params.id,
        hypothesisId: req.params.hypothesisId,
        reviewer: credentials.principal.userEntityRef,
        review,
      });
      res.status(201).json(created);
    },
  );

  router.get('/jobs', async (req, res) => {
    await authorize(req, aiTriageIncidentReadPermission);
    const query = parse(jobsQuerySchema, req.query, 'query');
    res.json({
      items: await queue.listJobs(query),
      stats: await queue.stats(),
    });
  });

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  return router;
}
