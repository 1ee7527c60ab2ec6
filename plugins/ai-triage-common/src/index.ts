/**
 * Schemas, types and permissions shared by the AI triage plugins.
 *
 * @packageDocumentation
 */
export * from './constants';
export * from './permissions';
export * from './schemas/alertmanager';
export * from './schemas/grafana';
export * from './schemas/pagerduty';
export * from './schemas/generic';
export * from './schemas/incident';
export * from './schemas/localization';
export * from './schemas/context';
export * from './schemas/hypothesis';
export * from './schemas/case';
export * from './schemas/api';
export * from './schemas/workflow';
