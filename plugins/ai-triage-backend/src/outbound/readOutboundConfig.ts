import { Config } from '@backstage/config';
import { z } from 'zod';
import {
  SEVERITIES,
  Severity,
  WORKFLOW_EVENT_TYPES,
  WorkflowEventType,
} from '@ai-triage/plugin-ai-triage-common';
import {
  configString,
  httpUrl,
  positiveNumber,
  readConfigSection,
  wholeNumber,
} from '../configSection';

export type WebhookTarget = {
  name: string;
  url: string;
  /** `json`: the signed event; `slack`: a Slack incoming-webhook message. */
  format: 'json' | 'slack';
  secret?: string;
  events: WorkflowEventType[];
  filter: {
    entityRefs?: string[];
    owners?: string[];
    severities?: Severity[];
  };
};

type TicketCredentials = {
  pagerduty?: { baseUrl: string; token: string; fromEmail: string };
  jira?: { baseUrl: string; email?: string; token: string };
  github?: { baseUrl: string; token: string };
};

export type OutboundConfig = {
  webhooks: WebhookTarget[];
  tickets: TicketCredentials;
  maxAttempts: number;
  timeoutMs: number;
  /** The portal's address, for links to the incident (`app.baseUrl`). */
  portalBaseUrl: string;
};

const webhookSchema = z.object({
  name: configString.optional(),
  url: httpUrl,
  format: z.enum(['json', 'slack']).default('json'),
  secret: configString.optional(),
  events: z.array(z.enum(WORKFLOW_EVENT_TYPES)).optional(),
  filter: z
    .object({
      entityRefs: z.array(configString).optional(),
      owners: z.array(configString).optional(),
      severities: z.array(z.enum(SEVERITIES)).optional(),
    })
    .prefault({}),
});

/** `aiTriage.outbound` as config.d.ts documents it, with its defaults. */
const outboundSchema = z.object({
  maxAttempts: wholeNumber(1).default(8),
  timeoutSeconds: positiveNumber.default(10),
  webhooks: z
    .array(webhookSchema)
    .default([])
    .transform((webhooks, ctx) => {
      const names = new Set<string>();
      return webhooks.map((webhook, index): WebhookTarget => {
        const name = webhook.name ?? `webhook-${index + 1}`;
        if (names.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'name'],
            message: 'repeats the name of another webhook',
            input: name,
          });
        }
        names.add(name);
        return {
          ...webhook,
          name,
          events: webhook.events ?? [...WORKFLOW_EVENT_TYPES],
        };
      });
    }),
  tickets: z
    .object({
      pagerduty: z
        .object({
          baseUrl: httpUrl.default('https://api.pagerduty.com'),
          token: configString,
          fromEmail: configString,
        })
        .optional(),
      jira: z
        .object({
          baseUrl: httpUrl,
          email: configString.optional(),
          token: configString,
        })
        .optional(),
      github: z
        .object({
          baseUrl: httpUrl.default('https://api.github.com'),
          token: configString,
        })
        .optional(),
    })
    .prefault({}),
});

/** Reads `aiTriage.outbound` (see config.d.ts), failing on a malformed target at startup. */
export function readOutboundConfig(root: Config): OutboundConfig {
  const outbound = readConfigSection(root, 'aiTriage.outbound', outboundSchema);
  return {
    webhooks: outbound.webhooks,
    tickets: outbound.tickets,
    maxAttempts: outbound.maxAttempts,
    timeoutMs: outbound.timeoutSeconds * 1000,
    portalBaseUrl: (root.getOptionalString('app.baseUrl') ?? '').replace(
      /\/$/,
      '',
    ),
  };
}
