import { createBackend } from '@backstage/backend-defaults';
import { aiTriageRootHealthServiceFactory } from '@ai-triage/plugin-ai-triage-backend';
import { signInAndPermissionFeatures } from './signInAndPermissions';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-catalog-backend'));

// Guest sign-in and allow-all in development only; OpenID Connect and the ownership policy
// otherwise (signInAndPermissions.ts).
for (const feature of signInAndPermissionFeatures({
  development: process.env.NODE_ENV === 'development',
})) {
  backend.add(feature);
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
