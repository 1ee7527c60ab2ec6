import express from 'express';
import Router from 'express-promise-router';
import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import {
  INCIDENT_STATUSES,
  Incident,
  IncidentDetailResponse,
  IncidentListResponse,
  RetriageResponse,
  SEVERITIES,
  aiTriageHypothesisReviewPermission,
  aiTriageIncidentReadPermission,
  reviewRequestSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { z } from 'zod';
import { FaultGroupStore } from '../database/FaultGroupStore';
import { IncidentStore } from '../database/IncidentStore';
import { JobQueue } from '../database/JobQueue';
import { TriageStore } from '../database/TriageStore';
import { EntityResolver } from '../ingest/EntityResolver';
import { fromZodError } from '../ingest/fromZodError';
import { EntityQuery } from './CatalogEntityQuery';
import { IncidentSignaller } from './IncidentSignaller';

/** A comma-separated query parameter whose values must each be one of `values`. */
function listOf<T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .transform(value => value.split(',').filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));
}

const listQuerySchema = z
  .object({
    entityRef: z.string().min(1).optional(),
    owner: z.string().min(1).optional(),
    system: z.string().min(1).optional(),
    severity: listOf(SEVERITIES).optional(),
    status: listOf(INCIDENT_STATUSES).optional(),
    unlinked: z
      .enum(['true', 'false'])
      .transform(value => value === 'true')
      .optional(),
    /** `fault`: one row per fault group (see IncidentFilter.groupByFault). */
    groupBy: z.enum(['fault']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict()
  .refine(query => !(query.unlinked && (query.owner || query.system)), {
    message: 'unlinked incidents have no owner or system; drop one filter',
    path: ['unlinked'],
  });

const jobsQuerySchema = z
  .object({
    status: z.enum(['queued', 'running', 'done', 'dead']).optional(),
    incidentId: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

/** The API the portal reads and reviews through. Every route needs a signed-in user. */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  incidents: IncidentStore;
  triage: TriageStore;
  queue: JobQueue;
  entities: EntityResolver;
  entityQuery: EntityQuery;
  /** Tells open portal pages about reviews and re-triage at once. */
  signaller?: IncidentSignaller;
  /** Fault groups: members show, review and re-triage their lead's triage. */
  faultGroups?: FaultGroupStore;
}): Promise<express.Router> {
  const {
    httpAuth,
    permissions,
    incidents,
    triage,
    queue,
    entities,
    entityQuery,
    signaller,
    faultGroups,
  } = options;
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
    const entityRefs =
      query.owner || query.system
        ? await entityQuery.entityRefsOf({
            owner: query.owner,
            system: query.system,
          })
        : undefined;
    const filter = {
      entityRef: query.entityRef,
      serviceNames,
      entityRefs,
      unlinked: query.unlinked,
      severities: query.severity,
      statuses: query.status,
      groupByFault: query.groupBy === 'fault',
    };
    const [items, totalCount] = await Promise.all([
      incidents.listIncidents({
        ...filter,
        limit: query.limit,
        offset: query.offset,
      }),
      incidents.countIncidents(filter),
    ]);
    const body: IncidentListResponse = {
      items,
      totalCount,
      offset: query.offset,
      limit: query.limit,
    };
    res.json(body);
  });

  router.get('/incidents/:id', async (req, res) => {
    await authorize(req, aiTriageIncidentReadPermission);
    const incident = await incidents.getIncident(req.params.id);
    if (!incident) {
      throw new NotFoundError(`Incident ${req.params.id} not found`);
    }
    // A member of a fault group shows its lead's triage: one triage per fault.
    const group = await faultGroups?.groupOf(incident.id);
    const triageId = group?.leadIncidentId ?? incident.id;
    const [alerts, context, hypotheses, run, members] = await Promise.all([
      incidents.listAlerts(incident.id),
      triage.getLatestContext(triageId),
      triage.listHypotheses(triageId),
      triage.getLatestRun(triageId),
      group
        ? incidents.listIncidents({ faultGroupId: group.id, limit: 200 })
        : [],
    ]);
    const [deadJob] =
      incident.triageState === 'failed'
        ? await queue.listJobs({
            incidentId: triageId,
            status: 'dead',
            limit: 1,
          })
        : [];
    const body: IncidentDetailResponse = {
      incident,
      alerts,
      context: context?.document ?? null,
      hypotheses,
      insufficientEvidence: run?.insufficientEvidence ?? false,
      failureReason: deadJob?.lastError ?? null,
      degraded: run?.degraded ?? false,
      degradedReason: run?.degradedReason ?? null,
      faultGroup: group
        ? {
            id: group.id,
            origin: group.origin,
            originEntityRef: group.originEntityRef,
            leadIncidentId: group.leadIncidentId,
            memberIncidentIds: group.memberIncidentIds,
            firstSeenAt: group.firstSeenAt,
            lastSeenAt: group.lastSeenAt,
          }
        : null,
      relatedIncidents: group
        ? group.memberIncidentIds
            .filter(id => id !== incident.id)
            .map(id => members.find(m => m.id === id))
            .filter((m): m is Incident => m !== undefined)
        : [],
    };
    res.json(body);
  });

  // The audit trail of the LLM calls made for an incident: redacted prompts and answers,
  // model, prompt version, tokens, latency and outcome.
  router.get('/incidents/:id/llm-calls', async (req, res) => {
    await authorize(req, aiTriageIncidentReadPermission);
    const incident = await incidents.getIncident(req.params.id);
    if (!incident) {
      throw new NotFoundError(`Incident ${req.params.id} not found`);
    }
    res.json({ items: await triage.listLlmCalls(incident.id) });
  });

  router.post('/incidents/:id/retriage', async (req, res) => {
    await authorize(req, aiTriageHypothesisReviewPermission);
    // A member re-triages its group's lead, whose triage it shows.
    const group = await faultGroups?.groupOf(req.params.id);
    const result = await incidents.requestRetriage(
      group?.leadIncidentId ?? req.params.id,
    );
    if (result.outcome === 'not-found') {
      throw new NotFoundError(`Incident ${req.params.id} not found`);
    }
    if (result.outcome === 'in-progress') {
      throw new ConflictError(
        `Incident ${req.params.id} is already being triaged; wait for the running triage to finish`,
      );
    }
    queue.notifyEnqueued();
    await signaller?.incidentChanged(result.incident.id, 'retriaged');
    const incident = group
      ? await incidents.getIncident(req.params.id)
      : result.incident;
    const body: RetriageResponse = { incident: incident ?? result.incident };
    res.status(202).json(body);
  });

  router.post(
    '/incidents/:id/hypotheses/:hypothesisId/reviews',
    async (req, res) => {
      const credentials = await authorize(
        req,
        aiTriageHypothesisReviewPermission,
      );
      const review = parse(reviewRequestSchema, req.body, 'review');
      // The hypotheses a member shows are its group lead's, and so are their reviews.
      const group = await faultGroups?.groupOf(req.params.id);
      const created = await triage.addReview({
        incidentId: group?.leadIncidentId ?? req.params.id,
        hypothesisId: req.params.hypothesisId,
        reviewer: credentials.principal.userEntityRef,
        review,
      });
      await signaller?.incidentChanged(req.params.id, 'reviewed');
      res.status(201).json(created);
    },
  );

  router.get('/jobs/stats', async (req, res) => {
    await authorize(req, aiTriageIncidentReadPermission);
    res.json(await queue.stats());
  });

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
