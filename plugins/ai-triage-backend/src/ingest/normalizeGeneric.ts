import { GenericWebhook } from '@ai-triage/plugin-ai-triage-common';
import {
  fingerprintOf,
  mapSeverity,
  resourceFromLabels,
  toIsoTimestamp,
} from './alertFields';
import { ParsedDelivery } from './ParsedDelivery';

/**
 * Turns a validated generic webhook into canonical alerts: `title` is the alert's name,
 * `service` its `service.name`, `resource` adds OpenTelemetry attributes, and an alert without
 * `id` is identified by its title, service and labels.
 */
export function normalizeGeneric(
  webhook: GenericWebhook,
  receivedAt: Date,
): ParsedDelivery {
  return {
    alerts: webhook.alerts.map((raw, index) => {
      const endsAt =
        raw.endsAt ??
        (raw.status === 'resolved' ? receivedAt.toISOString() : null);
      const resource = Object.fromEntries(
        Object.entries(raw.resource).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string',
        ),
      );
      return {
        path: `alerts[${index}]`,
        alert: {
          source: 'generic' as const,
          fingerprint:
            raw.id ??
            fingerprintOf({
              ...raw.labels,
              '(title)': raw.title,
              '(service)': raw.service,
            }),
          name: raw.title,
          status: raw.status,
          severity: mapSeverity(raw.severity),
          startsAt: raw.startsAt
            ? toIsoTimestamp(raw.startsAt)
            : receivedAt.toISOString(),
          endsAt: endsAt ? toIsoTimestamp(endsAt) : null,
          labels: raw.labels,
          annotations: raw.annotations,
          generatorURL: raw.url || null,
          resource: {
            ...resourceFromLabels(raw.labels),
            ...resource,
            'service.name': raw.service,
          },
        },
      };
    }),
    events: [],
    truncatedAlerts: 0,
  };
}
