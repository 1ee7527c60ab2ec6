import {
  GrafanaAlert,
  GrafanaWebhook,
} from '@ai-triage/plugin-ai-triage-common';
import { normalizeAlertGroup } from './normalizeAlertmanager';
import { ParsedDelivery } from './ParsedDelivery';

/** Grafana's links and query values, kept as annotations under Grafana's field names. */
function grafanaAnnotations(alert: GrafanaAlert): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    dashboardURL: alert.dashboardURL,
    panelURL: alert.panelURL,
    silenceURL: alert.silenceURL,
    imageURL: alert.imageURL,
    valueString: alert.valueString,
    values: alert.values ? JSON.stringify(alert.values) : undefined,
  };
  return Object.fromEntries(
    Object.entries(fields).filter(
      (entry): entry is [string, string] => !!entry[1],
    ),
  );
}

/**
 * Turns a validated Grafana unified alerting webhook into canonical alerts. Grafana sends the
 * Alertmanager shape, so labels map the same way; its links and values become annotations.
 */
export function normalizeGrafana(webhook: GrafanaWebhook): ParsedDelivery {
  return normalizeAlertGroup(webhook, 'grafana', index =>
    grafanaAnnotations(webhook.alerts[index]),
  );
}
