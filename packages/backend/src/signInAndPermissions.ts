import { BackendFeature } from '@backstage/backend-plugin-api';
import authPlugin from '@backstage/plugin-auth-backend';
import guestProvider from '@backstage/plugin-auth-backend-module-guest-provider';
import oidcProvider from '@backstage/plugin-auth-backend-module-oidc-provider';
import permissionPlugin from '@backstage/plugin-permission-backend';
import allowAllPolicy from '@backstage/plugin-permission-backend-module-allow-all-policy';
import { aiTriageOwnershipPolicyModule } from '@ai-triage/plugin-ai-triage-backend';

/**
 * Sign-in and permissions of this backend. Development (`yarn start`, NODE_ENV=development):
 * guest sign-in and the allow-all policy, so the plugin is one command away. Anything else (the
 * image sets NODE_ENV=production): OpenID Connect sign-in (`auth.providers.oidc`) and the
 * ownership policy, where a team reads, reviews and re-triages the incidents of the entities
 * it owns and `aiTriage.permissions.admins` do anything.
 */
export function signInAndPermissionFeatures(options: {
  development: boolean;
}): BackendFeature[] {
  return options.development
    ? [authPlugin, guestProvider, permissionPlugin, allowAllPolicy]
    : [
        authPlugin,
        oidcProvider,
        permissionPlugin,
        aiTriageOwnershipPolicyModule,
      ];
}
