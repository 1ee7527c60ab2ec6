export { aiTriageApiRef } from './AiTriageApi';
export type { AiTriageApi } from './AiTriageApi';
export { AiTriageClient } from './AiTriageClient';
export type {
  IncidentGroupListResponse,
  IncidentGroupRow,
  TopHypothesisSummary,
} from './groupIncidents';
