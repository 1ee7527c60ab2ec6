import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { ResourcePermission } from '@backstage/plugin-permission-common';
import {
  ContextDocument,
  INCIDENT_STATUSES,
  REVIEW_DECISIONS,
  SEVERITIES,
  aiTriageHypothesisReviewPermission,
  aiTriageIncidentReadPermission,
  aiTriageIncidentStatusPermission,
  reviewRequestSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { IncidentStore } from '../database/IncidentStore';
import { TriageStore } from '../database/TriageStore';
import { EntityResolver } from '../catalog/EntityResolver';
import { parseInput } from '../ingest/fromZodError';
import { IncidentAccess } from '../permissions/IncidentAccess';
import { EntityQuery } from '../catalog/CatalogEntityQuery';
import { IncidentWorkflowService } from '../workflow/IncidentWorkflowService';

/**
 * Registers the incident actions with the actions registry, so AI agents reach them as MCP tools
 * through `@backstage/plugin-mcp-actions-backend`. Every action checks the same permission as
 * the matching HTTP route, with the caller's own credentials, and changes go through the same
 * workflow (events, deliveries, audit).
 */
export function registerIncidentActions(options: {
  actionsRegistry: ActionsRegistryService;
  incidents: IncidentStore;
  triage: TriageStore;
  entities: EntityResolver;
  entityQuery: EntityQuery;
  workflow: IncidentWorkflowService;
  /** Applies the permission policy's decisions, conditional ones included, to incidents. */
  access: IncidentAccess;
}): void {
  const {
    actionsRegistry,
    incidents,
    triage,
    entities,
    entityQuery,
    workflow,
    access,
  } = options;

  /** As `httpAuth.credentials(req, { allow: ['user'] })` in the HTTP API. */
  function requireUser(
    credentials: BackstageCredentials,
    permission: ResourcePermission,
  ) {
    const { type } = credentials.principal as { type: string };
    if (type !== 'user') {
      throw new NotAllowedError(
        `${permission.name} needs a signed-in user; this caller is a ${type}`,
      );
    }
  }

  /**
   * As the HTTP API (`service/router.ts`): every action, reads included, needs a signed-in user
   * (changes are recorded under the user's name) and then the same permission as its route,
   * decided for the caller's own credentials.
   */
  async function authorize(
    credentials: BackstageCredentials,
    permission: ResourcePermission,
    { incidentId }: { incidentId?: string } = {},
  ) {
    requireUser(credentials, permission);
    if (incidentId !== undefined) {
      await access.authorize(credentials, permission, incidentId);
    } else if (
      (await access.readableEntityRefs(credentials, permission)) !== undefined
    ) {
      throw new NotAllowedError(`Missing permission ${permission.name}`);
    }
  }

  actionsRegistry.register({
    name: 'list-incidents',
    title: 'List AI triage incidents',
    description:
      'Lists incidents, open and acknowledged first, then the most recently seen. Filters as the incident feed: entity, owner, system, severities, statuses, unlinked.',
    attributes: { readOnly: true, destructive: false, idempotent: true },
    schema: {
      input: z =>
        z.object({
          entityRef: z
            .string()
            .optional()
            .describe('Only this entity, e.g. component:default/checkout'),
          owner: z
            .string()
            .optional()
            .describe('Entities owned by this group or user'),
          system: z.string().optional().describe('Entities of this system'),
          severity: z.array(z.enum(SEVERITIES)).optional(),
          status: z.array(z.enum(INCIDENT_STATUSES)).optional(),
          unlinked: z.boolean().optional(),
          limit: z.number().int().min(1).max(100).default(20),
          offset: z.number().int().min(0).default(0),
        }),
      output: z =>
        z.object({
          totalCount: z.number(),
          items: z.array(
            z
              .object({
                id: z.string(),
                title: z.string(),
                entityRef: z.string().nullable(),
                serviceName: z.string(),
                severity: z.string(),
                status: z.string(),
                triageState: z.string(),
                lastSeenAt: z.string(),
              })
              .passthrough(),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      requireUser(credentials, aiTriageIncidentReadPermission);
      // Undefined: every incident; else only those of entities the caller may read.
      const readable = await access.readableEntityRefs(
        credentials,
        aiTriageIncidentReadPermission,
      );
      if (input.unlinked && (input.owner || input.system)) {
        throw new InputError(
          'unlinked incidents have no owner or system; drop one filter',
        );
      }
      const filter = {
        entityRef: input.entityRef,
        // Unlinked incidents have no owner: only who may read every incident sees them.
        serviceNames:
          input.entityRef && !readable
            ? await entities.serviceNamesOf(input.entityRef)
            : [],
        entityRefs: restrictTo(
          readable,
          input.owner || input.system
            ? await entityQuery.entityRefsOf({
                owner: input.owner,
                system: input.system,
              })
            : undefined,
        ),
        unlinked: input.unlinked,
        severities: input.severity,
        statuses: input.status,
      };
      const [items, totalCount] = await Promise.all([
        incidents.listIncidents({
          ...filter,
          limit: input.limit,
          offset: input.offset,
        }),
        incidents.countIncidents(filter),
      ]);
      return { output: { items, totalCount } };
    },
  });

  actionsRegistry.register({
    name: 'get-incident',
    title: 'Get an AI triage incident',
    description:
      'Reads one incident: its alerts, a summary of the telemetry context, the hypotheses with the evidence each cites, its status, ticket and current root cause.',
    attributes: { readOnly: true, destructive: false, idempotent: true },
    schema: {
      input: z => z.object({ incidentId: z.string().min(1) }),
      output: z =>
        z.object({
          incident: z.object({ id: z.string() }).passthrough(),
          alerts: z.array(z.object({ name: z.string() }).passthrough()),
          context: z
            .object({ serviceName: z.string() })
            .passthrough()
            .nullable(),
          hypotheses: z.array(
            z
              .object({
                id: z.string(),
                rootCause: z.string(),
                evidence: z.array(z.object({ id: z.string() }).passthrough()),
              })
              .passthrough(),
          ),
          insufficientEvidence: z.boolean(),
          workflow: z.object({}).passthrough(),
        }),
    },
    action: async ({ input, credentials }) => {
      await authorize(credentials, aiTriageIncidentReadPermission, {
        incidentId: input.incidentId,
      });
      const incident = await incidents.getIncident(input.incidentId);
      if (!incident) {
        throw new NotFoundError(`Incident ${input.incidentId} not found`);
      }
      const [alerts, context, hypotheses, run] = await Promise.all([
        incidents.listAlerts(incident.id),
        triage.getLatestContext(incident.id),
        triage.listHypotheses(incident.id),
        triage.getLatestRun(incident.id),
      ]);
      const evidence = evidenceById(context?.document);
      return {
        output: {
          incident,
          alerts: alerts.map(alert => ({
            name: alert.name,
            status: alert.status,
            severity: alert.severity,
            startsAt: alert.startsAt,
            labels: alert.labels,
            summary: alert.annotations.summary ?? null,
          })),
          context: context ? summarizeContext(context.document) : null,
          hypotheses: hypotheses.map(h => ({
            id: h.id,
            rank: h.rank,
            rootCause: h.rootCause,
            confidence: h.confidence,
            affectedComponents: h.affectedComponents,
            reasoning: h.reasoning,
            diagnosticSteps: h.diagnosticSteps,
            evidence: h.evidenceIds.map(id => evidence.get(id) ?? { id }),
            review: h.review,
          })),
          insufficientEvidence: run?.insufficientEvidence ?? false,
          workflow: await workflow.getWorkflow(incident, alerts),
        },
      };
    },
  });

  actionsRegistry.register({
    name: 'review-hypothesis',
    title: 'Review an AI triage hypothesis',
    description:
      'Accepts, modifies (with a corrected root cause) or rejects a hypothesis of an incident. An accepted or modified hypothesis becomes the incident’s current root cause and is sent to its ticket and webhooks.',
    attributes: { readOnly: false, destructive: false, idempotent: false },
    schema: {
      input: z =>
        z.object({
          incidentId: z.string().min(1),
          hypothesisId: z.string().min(1),
          decision: z.enum(REVIEW_DECISIONS),
          comment: z.string().max(2000).optional(),
          modifiedRootCause: z
            .string()
            .max(500)
            .optional()
            .describe('Required when decision is "modified"'),
          modifiedDiagnosticSteps: z.array(z.string()).max(10).optional(),
        }),
      output: z =>
        z.object({
          review: z
            .object({ id: z.string(), decision: z.string() })
            .passthrough(),
        }),
    },
    action: async ({ input, credentials }) => {
      await authorize(credentials, aiTriageHypothesisReviewPermission, {
        incidentId: input.incidentId,
      });
      const { incidentId, hypothesisId, ...body } = input;
      const request = parseInput(reviewRequestSchema, body, 'review');
      const review = await workflow.review(incidentId, hypothesisId, request, {
        credentials,
        via: 'action',
      });
      return { output: { review } };
    },
  });

  actionsRegistry.register({
    name: 'retriage',
    title: 'Triage an incident again',
    description:
      'Queues a fresh enrichment and reasoning run for an incident (for example after new telemetry arrived). Earlier runs and reviews are kept.',
    attributes: { readOnly: false, destructive: false, idempotent: false },
    schema: {
      input: z => z.object({ incidentId: z.string().min(1) }),
      output: z =>
        z.object({
          incident: z.object({ id: z.string() }).passthrough(),
        }),
    },
    action: async ({ input, credentials }) => {
      await authorize(credentials, aiTriageHypothesisReviewPermission, {
        incidentId: input.incidentId,
      });
      const incident = await workflow.retriage(input.incidentId, {
        credentials,
        via: 'action',
      });
      return { output: { incident } };
    },
  });

  actionsRegistry.register({
    name: 'set-incident-status',
    title: 'Acknowledge, resolve or reopen an incident',
    description:
      'Sets an incident’s status: acknowledged, resolved, or open (reopen). Setting the status it already has changes nothing.',
    attributes: { readOnly: false, destructive: false, idempotent: true },
    schema: {
      input: z =>
        z.object({
          incidentId: z.string().min(1),
          status: z.enum(INCIDENT_STATUSES),
          comment: z.string().max(2000).optional(),
        }),
      output: z =>
        z.object({
          incident: z.object({ id: z.string() }).passthrough(),
        }),
    },
    action: async ({ input, credentials }) => {
      await authorize(credentials, aiTriageIncidentStatusPermission, {
        incidentId: input.incidentId,
      });
      const incident = await workflow.setStatus(
        input.incidentId,
        { status: input.status, comment: input.comment },
        { credentials, via: 'action' },
      );
      return { output: { incident } };
    },
  });
}

/** Every item of the context that has an evidence id, by id. */
function evidenceById(
  context: ContextDocument | undefined,
): Map<string, { id: string }> {
  const byId = new Map<string, { id: string }>();
  if (!context) {
    return byId;
  }
  for (const value of Object.values(context)) {
    if (Array.isArray(value)) {
      for (const item of value) {
        if (item && typeof item === 'object' && typeof item.id === 'string') {
          byId.set(item.id, item);
        }
      }
    }
  }
  return byId;
}

function summarizeContext(context: ContextDocument) {
  return {
    serviceName: context.serviceName,
    window: context.window,
    baselineWindow: context.baselineWindow,
    operations: context.operations.length,
    dependencies: context.dependencies.length,
    logTemplates: context.logTemplates.length,
    metricDeltas: context.metricDeltas.length,
    missing: context.missing,
    truncated: context.truncated,
  };
}

/** The entity refs both `readable` (undefined: all) and `filtered` (undefined: all) allow. */
function restrictTo(
  readable: string[] | undefined,
  filtered: string[] | undefined,
): string[] | undefined {
  if (readable && filtered)
    return filtered.filter(ref => readable.includes(ref));
  return readable ?? filtered;
}
