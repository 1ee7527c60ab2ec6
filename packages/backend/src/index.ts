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

backend.start();
