/**
 * The AI triage backend plugin.
 *
 * @packageDocumentation
 */
export { aiTriagePlugin as default } from './plugin';
