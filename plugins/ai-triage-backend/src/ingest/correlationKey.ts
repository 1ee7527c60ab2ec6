import { createHash } from 'node:crypto';
import { Alert } from '@ai-triage/plugin-ai-triage-common';

/**
 * The correlation key groups alerts into incidents: one incident per service (with its
 * namespace and cluster) and alert name. Alerts of the same rule firing for several instances
 * of a service therefore land in one incident, while a different symptom of the same service
 * (another alert name) opens its own. The fingerprint identifies the alert inside the incident.
 *
 * The key is `<source-independent hash>` of those parts, so Alertmanager, Grafana or PagerDuty
 * alerts about the same thing meet in the same incident.
 */
export function correlationKey(alert: Alert): string {
  const parts = [
    alert.resource['service.name'],
    alert.resource['k8s.namespace.name'] ?? '',
    alert.resource['k8s.cluster.name'] ?? '',
    alert.name,
  ];
  return createHash('sha256')
    .update(parts.join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}
