/**
 * AI triage frontend plugin: the Incidents tab on entity pages, with alert, context and
 * hypotheses side by side and review actions; an overview card; and an incident feed page.
 * Apps on the legacy frontend system import from `@ai-triage/plugin-ai-triage/legacy`.
 *
 * @packageDocumentation
 */
export { aiTriagePlugin as default } from './plugin';
export {
  aiTriageApi,
  aiTriageIncidentFeedPage,
  aiTriageIncidentsEntityCard,
  aiTriageIncidentsEntityContent,
  aiTriageQualityPage,
  triageQualityRouteRef,
} from './plugin';
export { aiTriageApiRef, AiTriageClient } from './api';
export type { AiTriageApi } from './api';
export { IncidentsTab } from './components/IncidentsTab';
export { IncidentsCard } from './components/IncidentsCard';
export { IncidentFeedPage } from './components/IncidentFeed';
export { TriageQualityPage } from './components/TriageQuality';
