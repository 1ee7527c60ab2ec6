import { createBackend } from '@backstage/backend-defaults';
import { aiTriageRootHealthServiceFactory } from '@ai-triage/plugin-ai-triage-backend';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// Sign-in: guest for local use; add a real provider for production.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));

// Allow-all keeps local use simple; production installs a policy that decides
// ai-triage.incident.read and ai-triage.hypothesis.review.
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@backstage/plugin-permission-backend-module-allow-all-policy'),
);

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
