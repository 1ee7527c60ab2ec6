import { z } from 'zod';
import { timestamp } from './fields';

/**
 * The `payload` of a PagerDuty Events API v2 event. PagerDuty requires it on `trigger` only.
 *
 * @public
 */
export const pagerDutyPayloadSchema = z.looseObject({
  summary: z.string().min(1),
  source: z.string().min(1),
  severity: z.enum(['critical', 'error', 'warning', 'info']),
  timestamp: timestamp.optional(),
  component: z.string().optional(),
  group: z.string().optional(),
  class: z.string().optional(),
  custom_details: z.unknown().optional(),
});

/**
 * A PagerDuty Events API v2 event (`POST /v2/enqueue`). `routing_key` is accepted but never
 * stored: it is the integration's secret. `dedup_key` identifies the alert; `acknowledge` and
 * `resolve` need it.
 *
 * @public
 */
export const pagerDutyEventSchema = z
  .looseObject({
    routing_key: z.string().optional(),
    event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
    dedup_key: z.string().min(1).max(255).optional(),
    payload: pagerDutyPayloadSchema.optional(),
    client: z.string().optional(),
    client_url: z.string().optional(),
    links: z
      .array(z.looseObject({ href: z.string(), text: z.string().optional() }))
      .optional(),
    images: z.array(z.unknown()).optional(),
  })
  .superRefine((event, ctx) => {
    if (event.event_action === 'trigger' && !event.payload) {
      ctx.addIssue({
        code: 'custom',
        path: ['payload'],
        message: 'is required when event_action is trigger',
      });
    }
    if (event.event_action !== 'trigger' && !event.dedup_key) {
      ctx.addIssue({
        code: 'custom',
        path: ['dedup_key'],
        message: `is required when event_action is ${event.event_action}`,
      });
    }
  });

/** @public */
export type PagerDutyEvent = z.infer<typeof pagerDutyEventSchema>;
