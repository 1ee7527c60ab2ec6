import { AlertmanagerWebhook } from '@ai-triage/plugin-ai-triage-common';
import {
  fingerprintOf,
  mapSeverity,
  resourceFromLabels,
  toIsoTimestamp,
} from './alertFields';
import { ParsedDelivery } from './ParsedDelivery';

/** Alertmanager's "not ended" marker. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Turns a validated Alertmanager webhook into canonical alerts. Group-level labels and annotations
 * fill in what an alert lacks; an alert without `status` takes the group's; an alert without
 * `fingerprint` (older Alertmanager) gets one derived from its labels, as Alertmanager does.
 */
export function normalizeAlertmanager(
  webhook: AlertmanagerWebhook,
): ParsedDelivery {
  return normalizeAlertGroup(webhook, 'alertmanager', () => ({}));
}

/**
 * The Alertmanager-shaped webhook of `source` (Alertmanager itself, or Grafana which adds
 * fields): `extraAnnotations` adds what the source carries beyond Alertmanager's alert.
 */
export function normalizeAlertGroup(
  webhook: AlertmanagerWebhook,
  source: 'alertmanager' | 'grafana',
  extraAnnotations: (index: number) => Record<string, string>,
): ParsedDelivery {
  return {
    alerts: webhook.alerts.map((raw, index) => {
      const labels = { ...webhook.commonLabels, ...raw.labels };
      const endsAt = raw.endsAt && raw.endsAt !== ZERO_TIME ? raw.endsAt : null;
      return {
        path: `alerts[${index}]`,
        alert: {
          source,
          fingerprint: raw.fingerprint ?? fingerprintOf(raw.labels),
          name: labels.alertname,
          status: raw.status ?? webhook.status,
          severity: mapSeverity(labels.severity),
          startsAt: toIsoTimestamp(raw.startsAt),
          endsAt: endsAt ? toIsoTimestamp(endsAt) : null,
          labels,
          annotations: {
            ...extraAnnotations(index),
            ...webhook.commonAnnotations,
            ...raw.annotations,
          },
          generatorURL: raw.generatorURL || null,
          resource: resourceFromLabels(labels),
        },
      };
    }),
    events: [],
    truncatedAlerts: webhook.truncatedAlerts ?? 0,
  };
}
