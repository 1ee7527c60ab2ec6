import { InputError } from '@backstage/errors';
import { Alert } from '@ai-triage/plugin-ai-triage-common';
import { ParsedDelivery } from './ParsedDelivery';

/** Hard limits on what one delivery may carry (`aiTriage.intake.*`, see config.d.ts). */
export type IntakeLimits = {
  maxBodyBytes: number;
  maxAlertsPerDelivery: number;
  maxLabelsPerAlert: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  maxAnnotationValueLength: number;
  /** How far after now a sender's timestamp may lie (its clock running ahead). */
  maxClockSkewMs: number;
  /** How far before now a sender's timestamp may lie. */
  maxTimestampAgeMs: number;
};

export const DEFAULT_INTAKE_LIMITS: IntakeLimits = {
  maxBodyBytes: 1_048_576,
  maxAlertsPerDelivery: 1000,
  maxLabelsPerAlert: 100,
  maxLabelNameLength: 256,
  maxLabelValueLength: 2048,
  maxAnnotationValueLength: 16_384,
  maxClockSkewMs: 300_000,
  maxTimestampAgeMs: 3650 * 86_400_000,
};

/**
 * Longest alert name, service name, namespace and cluster: they are stored in columns of 255
 * characters, and the incident title joins name and service.
 */
export const MAX_IDENTIFIER_LENGTH = 120;
/** Longest fingerprint (PagerDuty allows `dedup_key`s of 255 characters; so does the column). */
const MAX_FINGERPRINT_LENGTH = 255;

const MAX_REPORTED_PROBLEMS = 10;

/**
 * Throws an InputError naming every limit the delivery breaks (which alert, which label, the
 * size and the limit), so nothing of it is stored.
 */
export function checkIntakeLimits(
  delivery: ParsedDelivery,
  limits: IntakeLimits,
  title: string,
): void {
  const problems: string[] = [];
  const count = delivery.alerts.length + delivery.events.length;
  if (count > limits.maxAlertsPerDelivery) {
    problems.push(
      `alerts: ${count} alerts, over the limit of ${limits.maxAlertsPerDelivery} per delivery (aiTriage.intake.maxAlertsPerDelivery)`,
    );
  }
  for (const { path, alert } of delivery.alerts) {
    problems.push(...alertProblems(path, alert, limits));
  }
  for (const event of delivery.events) {
    if (event.fingerprint.length > MAX_FINGERPRINT_LENGTH) {
      problems.push(
        identifierProblem(
          event.path,
          'fingerprint',
          event.fingerprint,
          MAX_FINGERPRINT_LENGTH,
        ),
      );
    }
    // A described alert carries the event's annotations; check them once.
    problems.push(
      ...(event.alert
        ? alertProblems(event.path, event.alert, limits)
        : mapProblems(
            `${event.path}.annotations`,
            event.annotations,
            limits.maxAnnotationValueLength,
            'maxAnnotationValueLength',
            limits,
          )),
    );
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
    const more = problems.length - shown.length;
    throw new InputError(
      `Invalid ${title}: ${shown.join('; ')}${
        more > 0 ? `; and ${more} more` : ''
      }`,
    );
  }
}

function alertProblems(
  path: string,
  alert: Alert,
  limits: IntakeLimits,
): string[] {
  const identifiers: Record<string, string | undefined> = {
    'alert name': alert.name,
    'service.name': alert.resource['service.name'],
    'k8s.namespace.name': alert.resource['k8s.namespace.name'],
    'k8s.cluster.name': alert.resource['k8s.cluster.name'],
  };
  const columns = {
    ...identifiers,
    fingerprint: alert.fingerprint,
    'generator URL': alert.generatorURL ?? undefined,
  };
  return [
    // PostgreSQL text cannot hold NUL; labels and annotations are stored as escaped JSON.
    ...Object.entries(columns)
      .filter(([, value]) => value?.includes('\u0000'))
      .map(([what]) => `${path}: ${what} contains a NUL character`),
    ...Object.entries(identifiers)
      .filter(([, value]) => (value?.length ?? 0) > MAX_IDENTIFIER_LENGTH)
      .map(([what, value]) =>
        identifierProblem(path, what, value!, MAX_IDENTIFIER_LENGTH),
      ),
    ...(alert.fingerprint.length > MAX_FINGERPRINT_LENGTH
      ? [
          identifierProblem(
            path,
            'fingerprint',
            alert.fingerprint,
            MAX_FINGERPRINT_LENGTH,
          ),
        ]
      : []),
    ...mapProblems(
      `${path}.labels`,
      alert.labels,
      limits.maxLabelValueLength,
      'maxLabelValueLength',
      limits,
    ),
    ...mapProblems(
      `${path}.annotations`,
      alert.annotations,
      limits.maxAnnotationValueLength,
      'maxAnnotationValueLength',
      limits,
    ),
  ];
}

function identifierProblem(
  path: string,
  what: string,
  value: string,
  limit: number,
) {
  return `${path}: ${what} of ${value.length} characters, over the limit of ${limit}`;
}

function mapProblems(
  path: string,
  entries: Record<string, string>,
  maxValueLength: number,
  valueLimitName: string,
  limits: IntakeLimits,
): string[] {
  const problems: string[] = [];
  const keys = Object.keys(entries);
  if (keys.length > limits.maxLabelsPerAlert) {
    problems.push(
      `${path}: ${keys.length} entries, over the limit of ${limits.maxLabelsPerAlert} (aiTriage.intake.maxLabelsPerAlert)`,
    );
  }
  for (const key of keys) {
    if (key.length > limits.maxLabelNameLength) {
      problems.push(
        `${path}: name ${JSON.stringify(`${key.slice(0, 40)}...`)} of ${
          key.length
        } characters, over the limit of ${
          limits.maxLabelNameLength
        } (aiTriage.intake.maxLabelNameLength)`,
      );
    }
    const value = entries[key];
    if (value.length > maxValueLength) {
      problems.push(
        `${path}.${key}: value of ${value.length} characters, over the limit of ${maxValueLength} (aiTriage.intake.${valueLimitName})`,
      );
    }
  }
  return problems;
}

/**
 * Moves every timestamp of the delivery into [now - maxTimestampAgeMs, now + maxClockSkewMs]
 * (a sender's clock far ahead, or a year 5138 that would never expire) and returns how many it
 * moved, for the intake log.
 */
export function clampTimestamps(
  delivery: ParsedDelivery,
  limits: IntakeLimits,
  now: Date,
): number {
  const earliest = now.getTime() - limits.maxTimestampAgeMs;
  const latest = now.getTime() + limits.maxClockSkewMs;
  let moved = 0;
  const clamp = (iso: string): string => {
    const time = Date.parse(iso);
    if (time >= earliest && time <= latest) return iso;
    moved++;
    return new Date(time < earliest ? earliest : latest).toISOString();
  };
  const clampAlert = (alert: Alert) => {
    alert.startsAt = clamp(alert.startsAt);
    if (alert.endsAt) alert.endsAt = clamp(alert.endsAt);
  };
  delivery.alerts.forEach(({ alert }) => clampAlert(alert));
  for (const event of delivery.events) {
    event.at = clamp(event.at);
    if (event.alert) clampAlert(event.alert);
  }
  return moved;
}
