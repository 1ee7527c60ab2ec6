import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { AI_TRIAGE_INCIDENT_RESOURCE_TYPE } from '@ai-triage/plugin-ai-triage-common';
import { Config } from '@backstage/config';
import { z } from 'zod';
import { configString, readConfigSection } from '../configSection';
import {
  aiTriageIncidentConditions,
  createAiTriageIncidentConditionalDecision,
} from './incidentOwnership';

/**
 * The production policy: a team reads, reviews and re-triages the incidents of the catalog
 * entities it owns; admins (user or group refs from `aiTriage.permissions.admins`) do anything.
 * Every other permission (the catalog's, say) is allowed to signed-in users, as before.
 *
 * @public
 */
export class AiTriageOwnershipPolicy implements PermissionPolicy {
  constructor(private readonly admins: readonly string[]) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const claims = user?.info.ownershipEntityRefs ?? [];
    if (claims.some(ref => this.admins.includes(ref))) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (
      isResourcePermission(request.permission, AI_TRIAGE_INCIDENT_RESOURCE_TYPE)
    ) {
      if (!user) return { result: AuthorizeResult.DENY };
      return createAiTriageIncidentConditionalDecision(
        request.permission,
        aiTriageIncidentConditions.isIncidentEntityOwner({ claims }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/** `aiTriage.permissions` (see config.d.ts). */
const permissionsSchema = z.object({
  admins: z.array(configString).default([]),
});

/** The admins of `aiTriage.permissions.admins` (default none). */
export function readPolicyAdmins(config: Config): string[] {
  return readConfigSection(config, 'aiTriage.permissions', permissionsSchema)
    .admins;
}

/**
 * Installs {@link AiTriageOwnershipPolicy} in the permission backend, with the admins from
 * `aiTriage.permissions.admins`.
 *
 * @public
 */
export const aiTriageOwnershipPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'ai-triage-ownership-policy',
  register(env) {
    env.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(new AiTriageOwnershipPolicy(readPolicyAdmins(config)));
      },
    });
  },
});
