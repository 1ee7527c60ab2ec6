import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ConditionalPolicyDecision,
  PermissionCriteria,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import { IncidentStore } from '../database/IncidentStore';
import { EntityQuery } from '../catalog/CatalogEntityQuery';
import {
  IncidentQuery,
  IncidentResource,
  incidentRuleset,
  isIncidentAllowed,
} from './incidentOwnership';

const toIncidentQuery = createConditionTransformer(incidentRuleset);

/**
 * Decides what a user may do with incidents, through the permission policy: an ALLOW or DENY
 * decides alone; a conditional decision (such as "owns the incident's entity") is applied here,
 * to the incident for one incident, or as a filter of entity refs for a list.
 */
export class IncidentAccess {
  static create(options: {
    permissions: PermissionsService;
    incidents: IncidentStore;
    entityQuery: EntityQuery;
  }): IncidentAccess {
    return new IncidentAccess(options);
  }

  private constructor(
    private readonly options: Parameters<typeof IncidentAccess.create>[0],
  ) {}

  /** Throws NotAllowedError unless the policy allows `permission` on the incident. */
  async authorize(
    credentials: BackstageCredentials,
    permission: ResourcePermission,
    incidentId: string,
  ): Promise<void> {
    const [decision] = await this.options.permissions.authorizeConditional(
      [{ permission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.ALLOW) return;
    if (decision.result === AuthorizeResult.CONDITIONAL) {
      const [resource] = await this.loadResources([incidentId]);
      if (resource && isIncidentAllowed(decision, resource)) return;
    }
    throw new NotAllowedError(`Missing permission ${permission.name}`);
  }

  /**
   * The entity refs whose incidents the user may read (`permission`), or undefined for all.
   * Conditions other than ownership (or any-of ownership) allow none.
   */
  async readableEntityRefs(
    credentials: BackstageCredentials,
    permission: ResourcePermission,
  ): Promise<string[] | undefined> {
    const [decision] = await this.options.permissions.authorizeConditional(
      [{ permission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.ALLOW) return undefined;
    if (decision.result === AuthorizeResult.DENY) {
      throw new NotAllowedError(`Missing permission ${permission.name}`);
    }
    const owners = ownersOf(
      toIncidentQuery((decision as ConditionalPolicyDecision).conditions),
    );
    const refs = new Set<string>();
    for (const owner of owners) {
      for (const ref of await this.options.entityQuery.entityRefsOf({
        owner,
      })) {
        refs.add(ref);
      }
    }
    return [...refs];
  }

  /** Incidents with the owners of their entities, for the permission rules. */
  async loadResources(
    incidentIds: string[],
  ): Promise<Array<IncidentResource | undefined>> {
    const { incidents, entityQuery } = this.options;
    return Promise.all(
      incidentIds.map(async id => {
        const incident = await incidents.getIncident(id);
        if (!incident) return undefined;
        return {
          id,
          entityRef: incident.entityRef,
          ownerRefs: incident.entityRef
            ? await entityQuery.ownersOf(incident.entityRef)
            : [],
        };
      }),
    );
  }
}

/** The owners a query allows: one ownership condition, or any of several. */
function ownersOf(criteria: PermissionCriteria<IncidentQuery>): string[] {
  if ('anyOf' in criteria) return criteria.anyOf.flatMap(ownersOf);
  if ('allOf' in criteria || 'not' in criteria) return [];
  return criteria.ownedBy;
}
