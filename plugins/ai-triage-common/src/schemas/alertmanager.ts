import { z } from 'zod';

const stringMap = z.record(z.string(), z.string());

/**
 * One alert of an Alertmanager webhook (payload version 4). Fields that older Alertmanager
 * releases leave out (`status`, `fingerprint`, `generatorURL`, `endsAt`) are optional, and
 * unknown fields are tolerated.
 *
 * @public
 */
export const alertmanagerAlertSchema = z
  .object({
    status: z.enum(['firing', 'resolved']).optional(),
    labels: stringMap.refine(labels => typeof labels.alertname === 'string', {
      message: 'labels.alertname is required',
    }),
    annotations: stringMap.optional().default({}),
    startsAt: z
      .string()
      .datetime({ offset: true, message: 'must be an RFC 3339 timestamp' }),
    endsAt: z
      .string()
      .datetime({ offset: true, message: 'must be an RFC 3339 timestamp' })
      .optional(),
    generatorURL: z.string().optional(),
    fingerprint: z.string().min(1).optional(),
  })
  .passthrough();

/**
 * The body Alertmanager POSTs to a `webhook_config` receiver.
 *
 * @public
 */
export const alertmanagerWebhookSchema = z
  .object({
    version: z.string().optional(),
    groupKey: z.union([z.string(), z.number()]).optional(),
    truncatedAlerts: z.number().int().nonnegative().optional(),
    status: z.enum(['firing', 'resolved']),
    receiver: z.string().optional(),
    groupLabels: stringMap.optional().default({}),
    commonLabels: stringMap.optional().default({}),
    commonAnnotations: stringMap.optional().default({}),
    externalURL: z.string().optional(),
    alerts: z
      .array(alertmanagerAlertSchema)
      .min(1, 'must contain at least one alert'),
  })
  .passthrough();

/** @public */
export type AlertmanagerWebhook = z.infer<typeof alertmanagerWebhookSchema>;
/** @public */
export type AlertmanagerAlert = z.infer<typeof alertmanagerAlertSchema>;
