import { createBackend } from '@backstage/backend-defaults';

/**
 * Development (`yarn start`, NODE_ENV=development): guest sign-in and the allow-all policy, so
 * the plugin is one command away. Anything else (the image sets NODE_ENV=production): OpenID
 * Connect sign-in and the ownership policy, where a team reads, reviews and re-triages the
 * incidents of the entities it owns and `aiTriage.permissions.admins` do anything.
 */
const development = process.env.NODE_ENV === 'development';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
if (development) {
  backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
} else {
  backend.add(import('@backstage/plugin-auth-backend-module-oidc-provider'));
}

backend.add(import('@backstage/plugin-catalog-backend'));

backend.add(import('@backstage/plugin-permission-backend'));
if (development) {
  backend.add(
    import('@backstage/plugin-permission-backend-module-allow-all-policy'),
  );
} else {
  backend.add(
    import('@ai-triage/plugin-ai-triage-backend').then(
      m => m.aiTriageOwnershipPolicyModule,
    ),
  );
}

backend.add(import('@ai-triage/plugin-ai-triage-backend'));

backend.start();
