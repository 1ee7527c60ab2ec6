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
export {
  AiTriageOwnershipPolicy,
  aiTriageOwnershipPolicyModule,
} from './permissions/AiTriageOwnershipPolicy';
export {
  aiTriageIncidentConditions,
  createAiTriageIncidentConditionalDecision,
  isIncidentEntityOwner,
  incidentResourceRef,
} from './permissions/incidentOwnership';
