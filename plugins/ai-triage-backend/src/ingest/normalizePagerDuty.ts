import { Alert, PagerDutyEvent } from '@ai-triage/plugin-ai-triage-common';
import {
  fingerprintOf,
  mapSeverity,
  resourceFromLabels,
  toIsoTimestamp,
} from './alertFields';
import { MAX_IDENTIFIER_LENGTH } from './IntakeLimits';
import { ParsedDelivery } from './ParsedDelivery';

/** The string-valued entries of `custom_details`, which may name resource attributes. */
function stringDetails(details: unknown): Record<string, string> {
  if (!details || typeof details !== 'object' || Array.isArray(details)) {
    return {};
  }
  return Object.fromEntries(
    Object.entries(details).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

function defined(fields: Record<string, string | undefined>) {
  return Object.fromEntries(
    Object.entries(fields).filter(
      (entry): entry is [string, string] => !!entry[1],
    ),
  );
}

/**
 * Turns a validated PagerDuty Events API v2 event into an event on the alert its `dedup_key`
 * names: `trigger` and `acknowledge` keep it firing, `resolve` resolves it. The `payload`
 * describes the alert when the key is new. `routing_key` is dropped here: it is a secret.
 */
export function normalizePagerDuty(
  event: PagerDutyEvent,
  receivedAt: Date,
): ParsedDelivery {
  const payload = event.payload;
  const at = payload?.timestamp
    ? toIsoTimestamp(payload.timestamp)
    : receivedAt.toISOString();
  const status = event.event_action === 'resolve' ? 'resolved' : 'firing';
  const fingerprint =
    event.dedup_key ??
    fingerprintOf({
      summary: payload?.summary,
      source: payload?.source,
      component: payload?.component,
      group: payload?.group,
      class: payload?.class,
    });
  const annotations = defined({
    pagerduty_event_action: event.event_action,
    summary: payload?.summary,
    client: event.client,
    client_url: event.client_url,
    custom_details:
      payload?.custom_details === undefined
        ? undefined
        : JSON.stringify(payload.custom_details),
    links: event.links?.length
      ? event.links.map(link => link.href).join(' ')
      : undefined,
  });

  let alert: Alert | undefined;
  if (payload) {
    // The summary is a sentence; as a name it is cut to the identifier limit.
    const name =
      payload.class || payload.summary.slice(0, MAX_IDENTIFIER_LENGTH).trim();
    const details = stringDetails(payload.custom_details);
    alert = {
      source: 'pagerduty',
      fingerprint,
      name,
      status,
      severity: mapSeverity(payload.severity),
      startsAt: at,
      endsAt: status === 'resolved' ? at : null,
      labels: defined({
        alertname: name,
        severity: payload.severity,
        source: payload.source,
        component: payload.component,
        group: payload.group,
        class: payload.class,
      }),
      annotations,
      generatorURL: event.client_url || event.links?.[0]?.href || null,
      resource: resourceFromLabels({
        ...details,
        service_name:
          details['service.name'] ??
          details.service_name ??
          details.service ??
          payload.component ??
          payload.source,
      }),
    };
  }
  return {
    alerts: [],
    events: [
      {
        path: '(event)',
        fingerprint,
        status,
        severity: payload ? mapSeverity(payload.severity) : undefined,
        at,
        annotations,
        alert,
      },
    ],
    truncatedAlerts: 0,
  };
}
