import { createHash } from 'node:crypto';
import {
  Alert,
  Severity,
  UNKNOWN_SERVICE_NAME,
} from '@ai-triage/plugin-ai-triage-common';

/** Labels that name the OpenTelemetry `service.name`, in order of preference. */
const SERVICE_NAME_LABELS = [
  'service.name',
  'service_name',
  'service',
  'job',
] as const;

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

/** Maps a severity word to the canonical scale; unknown or missing is `warning`. */
export function mapSeverity(label: string | undefined): Severity {
  return SEVERITY_ALIASES[label?.trim().toLowerCase() ?? ''] ?? 'warning';
}

/** A stable id from a set of labels, as Alertmanager derives its fingerprints. */
export function fingerprintOf(
  labels: Record<string, string | undefined>,
): string {
  const canonical = Object.keys(labels)
    .filter(key => labels[key] !== undefined)
    .sort()
    .map(key => `${key}=${labels[key]}`)
    .join('\n');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/**
 * The OpenTelemetry resource attributes that labels name. An alert naming no service gets
 * `unknown_service`: its incident is kept, unlinked, instead of being dropped.
 */
export function resourceFromLabels(
  labels: Record<string, string | undefined>,
): Alert['resource'] {
  const serviceLabel = SERVICE_NAME_LABELS.find(key => labels[key]?.trim());
  return {
    'service.name': serviceLabel
      ? labels[serviceLabel]!.trim()
      : UNKNOWN_SERVICE_NAME,
    ...attribute(labels, 'service.namespace', 'service_namespace'),
    ...attribute(labels, 'deployment.environment', 'environment', 'env'),
    ...attribute(labels, 'k8s.namespace.name', 'namespace'),
    ...attribute(labels, 'k8s.cluster.name', 'cluster'),
  };
}

/** The attribute from its OpenTelemetry key, else from the first conventional label set. */
function attribute(
  labels: Record<string, string | undefined>,
  key: string,
  ...conventional: string[]
) {
  const value = [key, ...conventional]
    .map(name => labels[name]?.trim())
    .find(Boolean);
  return value ? { [key]: value } : {};
}

/** A sender's timestamp in the canonical form (UTC, milliseconds). */
export function toIsoTimestamp(value: string): string {
  return new Date(value).toISOString();
}
