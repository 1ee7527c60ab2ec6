import { z } from 'zod';
import {
  alertmanagerAlertSchema,
  alertmanagerWebhookSchema,
} from './alertmanager';
import { alertList } from './fields';

/**
 * One alert of a Grafana unified alerting webhook: an Alertmanager alert with links into
 * Grafana and the values of the rule's queries.
 *
 * @public
 */
export const grafanaAlertSchema = alertmanagerAlertSchema.extend({
  silenceURL: z.string().optional(),
  dashboardURL: z.string().optional(),
  panelURL: z.string().optional(),
  imageURL: z.string().optional(),
  /** The rule's query results by reference id; numbers from Grafana, anything tolerated. */
  values: z.record(z.string(), z.unknown()).nullish(),
  valueString: z.string().optional(),
});

/**
 * The body Grafana (9 and later) POSTs to a webhook contact point: the Alertmanager shape with
 * `version` "1" and `orgId`, `title`, `state` and `message` added.
 *
 * @public
 */
export const grafanaWebhookSchema = alertmanagerWebhookSchema.extend({
  orgId: z.number().int().optional(),
  title: z.string().optional(),
  state: z.string().optional(),
  message: z.string().optional(),
  alerts: alertList(grafanaAlertSchema),
});

/** @public */
export type GrafanaWebhook = z.infer<typeof grafanaWebhookSchema>;
/** @public */
export type GrafanaAlert = z.infer<typeof grafanaAlertSchema>;
