/**
 * AI triage frontend plugin: the Incidents tab on entity pages, with alert, context and
 * hypotheses side by side and review actions.
 *
 * @packageDocumentation
 */
export { aiTriagePlugin as default } from './plugin';
export { aiTriageApi, aiTriageIncidentsEntityContent } from './plugin';
export { aiTriageApiRef, AiTriageClient } from './api';
export type { AiTriageApi } from './api';
export { IncidentsTab } from './components/IncidentsTab';
