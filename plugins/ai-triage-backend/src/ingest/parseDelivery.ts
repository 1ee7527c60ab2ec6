import {
  AlertSource,
  alertmanagerWebhookSchema,
  genericWebhookSchema,
  grafanaWebhookSchema,
  pagerDutyEventSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { ZodType } from 'zod';
import { parseInput } from './fromZodError';
import { normalizeAlertmanager } from './normalizeAlertmanager';
import { normalizeGeneric } from './normalizeGeneric';
import { normalizeGrafana } from './normalizeGrafana';
import { normalizePagerDuty } from './normalizePagerDuty';
import { ParsedDelivery } from './ParsedDelivery';

type SourceFormat<T> = {
  /** How error messages name the payload. */
  title: string;
  schema: ZodType<T, unknown>;
  normalize(data: T, receivedAt: Date): ParsedDelivery;
};

function format<T>(f: SourceFormat<T>): SourceFormat<unknown> {
  return f as SourceFormat<unknown>;
}

/** Each sender's payload format: its schema and its normalizer to canonical alerts. */
export const SOURCE_FORMATS: Record<AlertSource, SourceFormat<unknown>> = {
  alertmanager: format({
    title: 'Alertmanager webhook',
    schema: alertmanagerWebhookSchema,
    normalize: normalizeAlertmanager,
  }),
  grafana: format({
    title: 'Grafana webhook',
    schema: grafanaWebhookSchema,
    normalize: normalizeGrafana,
  }),
  pagerduty: format({
    title: 'PagerDuty event',
    schema: pagerDutyEventSchema,
    normalize: normalizePagerDuty,
  }),
  generic: format({
    title: 'generic webhook',
    schema: genericWebhookSchema,
    normalize: normalizeGeneric,
  }),
};

/**
 * Validates a sender's payload and normalizes it to canonical alerts, storing nothing. A payload
 * that does not match the source's format is an InputError naming each wrong field.
 */
export function parseDelivery(
  source: AlertSource,
  body: unknown,
  receivedAt: Date,
): ParsedDelivery {
  const { title, schema, normalize } = SOURCE_FORMATS[source];
  return normalize(parseInput(schema, body, title), receivedAt);
}
