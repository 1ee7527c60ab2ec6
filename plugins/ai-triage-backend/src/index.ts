/**
 * The AI triage backend plugin.
 *
 * @packageDocumentation
 */
export { aiTriagePlugin as default } from './plugin';
export {
  aiTriagePipelineHealthServiceRef,
  aiTriageRootHealthServiceFactory,
  PipelineHealth,
} from './observability/PipelineHealth';
export type { HealthCheckResult } from './observability/PipelineHealth';
