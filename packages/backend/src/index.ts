import { createBackend } from '@backstage/backend-defaults';
import { aiTriageRootHealthServiceFactory } from '@ai-triage/plugin-ai-triage-backend';

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
    import('@ai-triage/plugin-ai-triage-backend').then(m => ({
      default: m.aiTriageOwnershipPolicyModule,
    })),
  );
}

backend.add(import('@ai-triage/plugin-ai-triage-backend'));
// Readiness includes the AI triage checks (database, queue lag, LLM breaker, providers).
backend.add(aiTriageRootHealthServiceFactory);

// Workflow plumbing (docs: README "Workflow and integrations"): the events backend carries
// events between replicas (a worker pod's results reach the portal pods), signals push live
// updates to open pages, notifications tell owners, and the MCP actions backend exposes the
// ai-triage actions to AI agents (README "Use from an AI agent (MCP)").
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-mcp-actions-backend'));

backend.start();
