import {
  PermissionRuleset,
  createConditionAuthorizer,
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import { AI_TRIAGE_INCIDENT_RESOURCE_TYPE } from '@ai-triage/plugin-ai-triage-common';
import { z } from 'zod';

/** An incident as permission rules see it: its entity and the entity's owners. */
export type IncidentResource = {
  id: string;
  entityRef: string | null;
  /** Owner entity refs of the incident's catalog entity (`group:default/team-a`). */
  ownerRefs: string[];
};

/** What a list of incidents is narrowed to: incidents whose entity one of these owns. */
export type IncidentQuery = { ownedBy: string[] };

/** @public */
export const incidentResourceRef = createPermissionResourceRef<
  IncidentResource,
  IncidentQuery
>().with({
  pluginId: 'ai-triage',
  resourceType: AI_TRIAGE_INCIDENT_RESOURCE_TYPE,
});

/**
 * Allows an incident to users who own its catalog entity: `claims` are the user's ownership
 * entity refs (the user and their groups), as a policy passes them. An incident not linked to
 * an entity has no owner.
 *
 * @public
 */
export const isIncidentEntityOwner = createPermissionRule({
  name: 'IS_INCIDENT_ENTITY_OWNER',
  description:
    "Allow incidents whose catalog entity is owned by the user's claims",
  resourceRef: incidentResourceRef,
  // Validated by the permission framework before apply and toQuery run (a condition with other
  // params is an InputError), and published as JSON Schema in the plugin's permission metadata.
  paramsSchema: z.object({
    claims: z
      .array(z.string())
      .describe(
        'Ownership entity refs of the user (the user and their groups), e.g. group:default/team-a',
      ),
  }),
  apply: (resource, { claims }) =>
    resource.ownerRefs.some(owner => claims.includes(owner)),
  toQuery: ({ claims }) => ({ ownedBy: claims }),
});

/** The rules of the incident resource type. */
export const incidentRules = { isIncidentEntityOwner };

/**
 * For permission policies: `aiTriageIncidentConditions.isIncidentEntityOwner({ claims })` and
 * `createAiTriageIncidentConditionalDecision(permission, condition)`.
 *
 * @public
 */
export const {
  conditions: aiTriageIncidentConditions,
  createConditionalDecision: createAiTriageIncidentConditionalDecision,
} = createConditionExports({
  resourceRef: incidentResourceRef,
  rules: incidentRules,
});

/** The rules by name, as the condition authorizer and transformer look them up. */
export const incidentRuleset: PermissionRuleset<
  IncidentResource,
  IncidentQuery
> = {
  getRuleByName(name) {
    const rule = Object.values(incidentRules).find(r => r.name === name);
    if (!rule) {
      throw new Error(`Unknown permission rule ${name} for incidents`);
    }
    return rule;
  },
};

/** Whether a (conditional) decision allows the incident. */
export const isIncidentAllowed = createConditionAuthorizer(incidentRuleset);
