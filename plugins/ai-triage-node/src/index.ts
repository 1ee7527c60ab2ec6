/**
 * Extension points and types for AI triage backend modules.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './extensions';
