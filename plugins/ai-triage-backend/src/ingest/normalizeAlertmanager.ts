import { createHash } from 'node:crypto';
import {
  Alert,
  AlertmanagerWebhook,
  Severity,
} from '@ai-triage/plugin-ai-triage-common';

/** Alertmanager's "not ended" marker. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Labels that name the OpenTelemetry `service.name`, in order of preference. */
export const SERVICE_NAME_LABELS = ['service_name', 'service', 'job'] as const;

const SEVERITY_ALIASES: Record<string, Severity> = {
  critical: 'critical',
  page: 'critical',
  p1: 'critical',
  high: 'high',
  error: 'high',
  major: 'high',
  p2: 'high',
  warning: 'warning',
  warn: 'warning',
  minor: 'warning',
  p3: 'warning',
  info: 'info',
  informational: 'info',
  low: 'info',
  none: 'info',
  p4: 'info',
};

/** Maps a `severity` label to the canonical scale; unknown or missing is `warning`. */
export function mapSeverity(label: string | undefined): Severity {
  return SEVERITY_ALIASES[label?.trim().toLowerCase() ?? ''] ?? 'warning';
}

function fingerprintOf(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map(key => `${key}=${labels[key]}`)
    .join('\n');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/**
 * Turns a validated Alertmanager webhook into canonical alerts. Group-level labels and annotations
 * fill in what an alert lacks; an alert without `status` takes the group's; an alert without
 * `fingerprint` (older Alertmanager) gets one derived from its labels, as Alertmanager does.
 * Alerts that name no service are returned in `rejected` with the reason.
 */
export function normalizeAlertmanager(webhook: AlertmanagerWebhook): {
  alerts: Alert[];
  rejected: string[];
} {
  const alerts: Alert[] = [];
  const rejected: string[] = [];
  webhook.alerts.forEach((raw, index) => {
    const labels = { ...webhook.commonLabels, ...raw.labels };
    const annotations = { ...webhook.commonAnnotations, ...raw.annotations };
    const serviceLabel = SERVICE_NAME_LABELS.find(key => labels[key]?.trim());
    if (!serviceLabel) {
      rejected.push(
        `alerts[${index}].labels: no service name; set one of ${SERVICE_NAME_LABELS.join(
          ', ',
        )}`,
      );
      return;
    }
    const endsAt = raw.endsAt && raw.endsAt !== ZERO_TIME ? raw.endsAt : null;
    alerts.push({
      source: 'alertmanager',
      fingerprint: raw.fingerprint ?? fingerprintOf(raw.labels),
      name: labels.alertname,
      status: raw.status ?? webhook.status,
      severity: mapSeverity(labels.severity),
      startsAt: new Date(raw.startsAt).toISOString(),
      endsAt: endsAt ? new Date(endsAt).toISOString() : null,
      labels,
      annotations,
      generatorURL: raw.generatorURL || null,
      resource: {
        'service.name': labels[serviceLabel].trim(),
        ...optional('service.namespace', labels.service_namespace),
        ...optional('deployment.environment', labels.environment ?? labels.env),
        ...optional('k8s.namespace.name', labels.namespace),
        ...optional('k8s.cluster.name', labels.cluster),
      },
    });
  });
  return { alerts, rejected };
}

function optional(key: string, value: string | undefined) {
  return value ? { [key]: value } : {};
}
