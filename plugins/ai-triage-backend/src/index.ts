/**
 * The AI triage backend plugin.
 *
 * @packageDocumentation
 */
export { aiTriagePlugin as default } from './plugin';
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
