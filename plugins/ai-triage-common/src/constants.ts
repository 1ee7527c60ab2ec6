/**
 * Catalog annotation that maps an entity to the OpenTelemetry `service.name` its telemetry and
 * alerts carry. When absent, an entity whose `metadata.name` equals the service name is used.
 *
 * @public
 */
export const AI_TRIAGE_SERVICE_NAME_ANNOTATION =
  'opentelemetry.io/service-name';

/**
 * The senders the webhook takes, one route each: `POST /webhooks/<source>`.
 *
 * @public
 */
export const ALERT_SOURCES = [
  'alertmanager',
  'grafana',
  'pagerduty',
  'generic',
] as const;
/** @public */
export type AlertSource = (typeof ALERT_SOURCES)[number];

/**
 * The `service.name` of an alert that names no service, as OpenTelemetry SDKs call a service
 * without a name. Its incidents are kept and listed as unlinked.
 *
 * @public
 */
export const UNKNOWN_SERVICE_NAME = 'unknown_service';

/** @public */
export const SEVERITIES = ['critical', 'high', 'warning', 'info'] as const;
/** @public */
export type Severity = (typeof SEVERITIES)[number];

/**
 * Where an incident is in its lifecycle: open (firing, nobody on it yet), acknowledged (someone
 * is on it; new alerts keep it acknowledged) or resolved (by its alerts, or by a person).
 *
 * @public
 */
export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
/** @public */
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/**
 * Where an incident is in the pipeline: waiting for enrichment, waiting for reasoning, done, or
 * failed (a job went dead; the error is on the job).
 *
 * @public
 */
export const TRIAGE_STATES = [
  'pending',
  'enriching',
  'reasoning',
  'triaged',
  'failed',
] as const;
/** @public */
export type TriageState = (typeof TRIAGE_STATES)[number];
