import { Alert, Severity } from '@ai-triage/plugin-ai-triage-common';

/** An alert the delivery describes in full. `path` names it in error messages (`alerts[3]`). */
type ParsedAlert = { path: string; alert: Alert };

/**
 * An event on an alert identified by its fingerprint alone (PagerDuty's `dedup_key`): a known
 * alert keeps its identity (name, service, labels) and takes the event's status, severity and
 * annotations; an unknown one is stored as `alert`, or ignored when the event does not describe
 * it (an `acknowledge` or `resolve` without `payload`).
 */
export type AlertEvent = {
  path: string;
  fingerprint: string;
  status: Alert['status'];
  severity?: Severity;
  /** When the event happened: the end of a resolved alert. */
  at: string;
  annotations: Record<string, string>;
  alert?: Alert;
};

/** A sender's payload after validation and normalization, before anything is stored. */
export type ParsedDelivery = {
  alerts: ParsedAlert[];
  events: AlertEvent[];
  /** Alerts the sender left out of the payload (Alertmanager's `max_alerts`). */
  truncatedAlerts: number;
};
