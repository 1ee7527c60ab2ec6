/**
 * A lean backend for the AI triage pipeline stages: the ai-triage plugin and the core services
 * it needs, nothing else (no catalog processing, auth providers, frontend bundle or permission
 * backend). `aiTriage.workers.stages` chooses what it runs: `[enrich]` or `[reason]` for a
 * worker Deployment, `[intake]` for a webhook-only process. The catalog, permission and
 * notification calls go to the portal backend through discovery (k8s/README.md).
 *
 *   node --require ./packages/backend/dist/instrumentation.cjs.js packages/backend/dist/pipeline.cjs.js \
 *     --config app-config.yaml --config app-config.production.yaml
 */
import { createBackend } from '@backstage/backend-defaults';
import { aiTriageRootHealthServiceFactory } from '@ai-triage/plugin-ai-triage-backend';

const backend = createBackend();
backend.add(import('@ai-triage/plugin-ai-triage-backend'));
// Readiness includes the AI triage checks (database, queue lag, LLM breaker, providers).
backend.add(aiTriageRootHealthServiceFactory);
backend.start();
