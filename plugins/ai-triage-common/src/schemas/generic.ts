import { z } from 'zod';
import { alertList, alertStatus, stringMap, timestamp } from './fields';

/**
 * One alert in the generic JSON format, for senders with no format of their own. Only `title`
 * and `service` are required.
 *
 * @public
 */
export const genericAlertSchema = z.looseObject({
  /** Identifies the alert: the same id again updates it. Default: derived from title, service and labels. */
  id: z.string().min(1).optional(),
  status: alertStatus.default('firing'),
  /** What is wrong, stable across repeats (like an alert rule's name). */
  title: z.string().min(1),
  /** critical, high, warning or info (common aliases such as page, error, p1 are mapped). */
  severity: z.string().optional(),
  /** The OpenTelemetry `service.name` of the affected service. */
  service: z.string().trim().min(1),
  /** Further OpenTelemetry resource attributes, e.g. `k8s.namespace.name`; others are ignored. */
  resource: z
    .object({
      'service.namespace': z.string().optional(),
      'deployment.environment': z.string().optional(),
      'k8s.namespace.name': z.string().optional(),
      'k8s.cluster.name': z.string().optional(),
    })
    .default({}),
  labels: stringMap.default({}),
  annotations: stringMap.default({}),
  /** When it started; default: when it was received. */
  startsAt: timestamp.optional(),
  endsAt: timestamp.optional(),
  /** A link to the alert's source (rule, dashboard). */
  url: z.string().optional(),
});

/**
 * The generic webhook body: `{"alerts": [...]}`.
 *
 * @public
 */
export const genericWebhookSchema = z.object({
  alerts: alertList(genericAlertSchema),
});

/** @public */
export type GenericWebhook = z.infer<typeof genericWebhookSchema>;
/** @public */
export type GenericAlert = z.infer<typeof genericAlertSchema>;
