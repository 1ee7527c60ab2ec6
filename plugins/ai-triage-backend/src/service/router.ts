import express from 'express';
import Router from 'express-promise-router';
import { HttpAuthService } from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { ResourcePermission } from '@backstage/plugin-permission-common';
import {
  INCIDENT_STATUSES,
  Incident,
  IncidentDetailResponse,
  IncidentListResponse,
  RetriageResponse,
  SEVERITIES,
  aiTriageHypothesisReviewPermission,
  aiTriageIncidentReadPermission,
  aiTriageIncidentStatusPermission,
  reviewRequestSchema,
  setIncidentStatusRequestSchema,
  setTicketRequestSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { z } from 'zod';
import { FaultGroupStore } from '../database/FaultGroupStore';
import { IncidentStore } from '../database/IncidentStore';
import { JobQueue } from '../queue/JobQueue';
import { TriageStore } from '../database/TriageStore';
import { EntityResolver } from '../catalog/EntityResolver';
import { parseInput } from '../ingest/fromZodError';
import { IncidentAccess } from '../permissions/IncidentAccess';
import { IncidentWorkflowService } from '../workflow/IncidentWorkflowService';
import { EntityQuery } from '../catalog/CatalogEntityQuery';
import { entityRefParam, rejectUnboundedInput } from './inputBounds';

/** A comma-separated query parameter whose values must each be one of `values`. */
function listOf<T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .transform(value => value.split(',').filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));
}

const listQuerySchema = z
  .strictObject({
    entityRef: entityRefParam.optional(),
    owner: z.string().min(1).max(255).optional(),
    system: z.string().min(1).max(255).optional(),
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
  .refine(query => !(query.unlinked && (query.owner || query.system)), {
    error: 'unlinked incidents have no owner or system; drop one filter',
    path: ['unlinked'],
  });

const jobsQuerySchema = z.strictObject({
  status: z.enum(['queued', 'running', 'done', 'dead']).optional(),
  incidentId: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The API the portal reads and reviews through. Every route needs a signed-in user. */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  incidents: IncidentStore;
  triage: TriageStore;
  queue: JobQueue;
  entities: EntityResolver;
  entityQuery: EntityQuery;
  /** Status changes, reviews and re-triage, with their events, deliveries and audit. */
  workflow: IncidentWorkflowService;
  /** Applies the permission policy's decisions, conditional ones included, to incidents. */
  access: IncidentAccess;
  /** Fault groups: members show, review and re-triage their lead's triage. */
  faultGroups?: FaultGroupStore;
}): Promise<express.Router> {
  const {
    httpAuth,
    incidents,
    triage,
    queue,
    entities,
    entityQuery,
    workflow,
    access,
    faultGroups,
  } = options;
  const router = Router();
  router.use(express.json({ limit: '64kb' }));
  router.use(rejectUnboundedInput());

  /**
   * The signed-in user's credentials, once the policy allows `permission`: on the incident,
   * or (without one) on every incident.
   */
  async function authorize(
    req: express.Request,
    permission: ResourcePermission,
    incidentId?: string,
  ) {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    if (incidentId !== undefined) {
      await access.authorize(credentials, permission, incidentId);
    } else if (
      (await access.readableEntityRefs(credentials, permission)) !== undefined
    ) {
      throw new NotAllowedError(`Missing permission ${permission.name}`);
    }
    return credentials;
  }

  router.get('/incidents', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    // Undefined: every incident; else only those of entities the user may read.
    const readable = await access.readableEntityRefs(
      credentials,
      aiTriageIncidentReadPermission,
    );
    const query = parseInput(listQuerySchema, req.query, 'query');
    const serviceNames = query.entityRef
      ? await entities.serviceNamesOf(query.entityRef)
      : [];
    const filtered =
      query.owner || query.system
        ? await entityQuery.entityRefsOf({
            owner: query.owner,
            system: query.system,
          })
        : undefined;
    const entityRefs =
      readable && filtered
        ? filtered.filter(ref => readable.includes(ref))
        : readable ?? filtered;
    const filter = {
      entityRef: query.entityRef,
      // Unlinked incidents have no owner: only who may read every incident sees them.
      serviceNames: readable ? [] : serviceNames,
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
    await authorize(req, aiTriageIncidentReadPermission, req.params.id);
    const incident = await incidents.getIncident(req.params.id);
    if (!incident) {
      throw new NotFoundError(`Incident ${req.params.id} not found`);
    }
    // A member of a fault group shows its lead's triage: one triage per fault.
    const group = await faultGroups?.groupOf(incident.id);
    const triageId = group?.leadIncidentId ?? incident.id;
    const [alerts, context, hypotheses, run, members, workflowState] =
      await Promise.all([
        incidents.listAlerts(incident.id),
        triage.getLatestContext(triageId),
        triage.listHypotheses(triageId),
        triage.getLatestRun(triageId),
        group
          ? incidents.listIncidents({ faultGroupId: group.id, limit: 200 })
          : [],
        workflow.getWorkflow(incident),
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
      workflow: workflowState,
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
    await authorize(req, aiTriageIncidentReadPermission, req.params.id);
    const incident = await incidents.getIncident(req.params.id);
    if (!incident) {
      throw new NotFoundError(`Incident ${req.params.id} not found`);
    }
    res.json({ items: await triage.listLlmCalls(incident.id) });
  });

  router.post('/incidents/:id/retriage', async (req, res) => {
    const credentials = await authorize(
      req,
      aiTriageHypothesisReviewPermission,
      req.params.id,
    );
    // A member re-triages its group's lead, whose triage it shows.
    const group = await faultGroups?.groupOf(req.params.id);
    const retriaged = await workflow.retriage(
      group?.leadIncidentId ?? req.params.id,
      { credentials, request: req, via: 'http' },
    );
    const incident = group
      ? (await incidents.getIncident(req.params.id)) ?? retriaged
      : retriaged;
    const body: RetriageResponse = { incident };
    res.status(202).json(body);
  });

  router.post(
    '/incidents/:id/hypotheses/:hypothesisId/reviews',
    async (req, res) => {
      const credentials = await authorize(
        req,
        aiTriageHypothesisReviewPermission,
        req.params.id,
      );
      const review = parseInput(reviewRequestSchema, req.body, 'review');
      // The hypotheses a member shows are its group lead's, and so are their reviews.
      const group = await faultGroups?.groupOf(req.params.id);
      const created = await workflow.review(
        group?.leadIncidentId ?? req.params.id,
        req.params.hypothesisId,
        review,
        { credentials, request: req, via: 'http' },
      );
      res.status(201).json(created);
    },
  );

  // Acknowledge, resolve or reopen.
  router.post('/incidents/:id/status', async (req, res) => {
    const credentials = await authorize(
      req,
      aiTriageIncidentStatusPermission,
      req.params.id,
    );
    const change = parseInput(
      setIncidentStatusRequestSchema,
      req.body,
      'status',
    );
    const incident = await workflow.setStatus(req.params.id, change, {
      credentials,
      request: req,
      via: 'http',
    });
    res.json({ incident, workflow: await workflow.getWorkflow(incident) });
  });

  router.put('/incidents/:id/ticket', async (req, res) => {
    const credentials = await authorize(
      req,
      aiTriageIncidentStatusPermission,
      req.params.id,
    );
    const { ticket } = parseInput(setTicketRequestSchema, req.body, 'ticket');
    res.json({
      ticket: await workflow.setTicket(req.params.id, ticket, {
        credentials,
        request: req,
        via: 'http',
      }),
    });
  });

  router.get('/jobs/stats', async (req, res) => {
    await authorize(req, aiTriageIncidentReadPermission);
    res.json(await queue.stats());
  });

  router.get('/jobs', async (req, res) => {
    await authorize(req, aiTriageIncidentReadPermission);
    const query = parseInput(jobsQuerySchema, req.query, 'query');
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
