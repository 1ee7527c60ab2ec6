import { Config } from '@backstage/config';
import {
  SEVERITIES,
  Severity,
  WORKFLOW_EVENT_TYPES,
  WorkflowEventType,
} from '@ai-triage/plugin-ai-triage-common';

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

export type TicketCredentials = {
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

/** Reads `aiTriage.outbound` (see config.d.ts), failing on a malformed target at startup. */
export function readOutboundConfig(root: Config): OutboundConfig {
  const config = root.getOptionalConfig('aiTriage.outbound');
  const names = new Set<string>();
  const webhooks = (config?.getOptionalConfigArray('webhooks') ?? []).map(
    (target, index): WebhookTarget => {
      const name = target.getOptionalString('name') ?? `webhook-${index + 1}`;
      if (names.has(name)) {
        throw new Error(`aiTriage.outbound.webhooks: duplicate name ${name}`);
      }
      names.add(name);
      const url = target.getString('url');
      if (!/^https?:\/\//.test(url)) {
        throw new Error(
          `aiTriage.outbound.webhooks[${name}].url must be http(s), got ${url}`,
        );
      }
      const format = target.getOptionalString('format') ?? 'json';
      if (format !== 'json' && format !== 'slack') {
        throw new Error(
          `aiTriage.outbound.webhooks[${name}].format must be json or slack, got ${format}`,
        );
      }
      const events = target.getOptionalStringArray('events');
      for (const event of events ?? []) {
        if (!(WORKFLOW_EVENT_TYPES as readonly string[]).includes(event)) {
          throw new Error(
            `aiTriage.outbound.webhooks[${name}].events: unknown event ${event}; known: ${WORKFLOW_EVENT_TYPES.join(
              ', ',
            )}`,
          );
        }
      }
      const severities = target.getOptionalStringArray('filter.severities');
      for (const severity of severities ?? []) {
        if (!(SEVERITIES as readonly string[]).includes(severity)) {
          throw new Error(
            `aiTriage.outbound.webhooks[${name}].filter.severities: unknown severity ${severity}`,
          );
        }
      }
      return {
        name,
        url,
        format,
        secret: target.getOptionalString('secret'),
        events: (events as WorkflowEventType[]) ?? [...WORKFLOW_EVENT_TYPES],
        filter: {
          entityRefs: target.getOptionalStringArray('filter.entityRefs'),
          owners: target.getOptionalStringArray('filter.owners'),
          severities: severities as Severity[] | undefined,
        },
      };
    },
  );
  const pagerduty = config?.getOptionalConfig('tickets.pagerduty');
  const jira = config?.getOptionalConfig('tickets.jira');
  const github = config?.getOptionalConfig('tickets.github');
  return {
    webhooks,
    tickets: {
      pagerduty: pagerduty && {
        baseUrl:
          pagerduty.getOptionalString('baseUrl') ?? 'https://api.pagerduty.com',
        token: pagerduty.getString('token'),
        fromEmail: pagerduty.getString('fromEmail'),
      },
      jira: jira && {
        baseUrl: jira.getString('baseUrl'),
        email: jira.getOptionalString('email'),
        token: jira.getString('token'),
      },
      github: github && {
        baseUrl:
          github.getOptionalString('baseUrl') ?? 'https://api.github.com',
        token: github.getString('token'),
      },
    },
    maxAttempts: Math.max(1, config?.getOptionalNumber('maxAttempts') ?? 8),
    timeoutMs: (config?.getOptionalNumber('timeoutSeconds') ?? 10) * 1000,
    portalBaseUrl: (root.getOptionalString('app.baseUrl') ?? '').replace(
      /\/$/,
      '',
    ),
  };
}
