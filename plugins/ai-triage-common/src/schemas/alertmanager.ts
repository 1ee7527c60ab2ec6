import { z } from 'zod';
import { alertList, alertStatus, stringMap, timestamp } from './fields';

/**
 * One alert of an Alertmanager webhook (payload version 4, and the version 3 and older bodies
 * that leave out `status`, `fingerprint`, `generatorURL` or `endsAt`). Unknown fields are
 * tolerated.
 *
 * @public
 */
export const alertmanagerAlertSchema = z.looseObject({
  status: alertStatus.optional(),
  labels: stringMap.refine(labels => typeof labels.alertname === 'string', {
    error: 'labels.alertname is required',
  }),
  annotations: stringMap.default({}),
  startsAt: timestamp,
  endsAt: timestamp.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).optional(),
});

/**
 * The body Alertmanager POSTs to a `webhook_config` receiver. `groupKey` is a string since
 * version 4 and a number in version 3 (early releases also sent `version` as a number);
 * `truncatedAlerts` (alerts left out by `max_alerts`) only exists since Alertmanager 0.22.
 *
 * @public
 */
export const alertmanagerWebhookSchema = z.looseObject({
  version: z.union([z.string(), z.number()]).optional(),
  groupKey: z.union([z.string(), z.number()]).optional(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: alertStatus,
  receiver: z.string().optional(),
  groupLabels: stringMap.default({}),
  commonLabels: stringMap.default({}),
  commonAnnotations: stringMap.default({}),
  externalURL: z.string().optional(),
  alerts: alertList(alertmanagerAlertSchema),
});

/** @public */
export type AlertmanagerWebhook = z.infer<typeof alertmanagerWebhookSchema>;
/** @public */
export type AlertmanagerAlert = z.infer<typeof alertmanagerAlertSchema>;
