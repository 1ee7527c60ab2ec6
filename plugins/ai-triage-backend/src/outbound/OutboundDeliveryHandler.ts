import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { TicketRef } from '@ai-triage/plugin-ai-triage-common';
import { Job, PermanentJobError } from '../queue/JobQueue';
import { JobHandler } from '../queue/WorkerPool';
import { DeliveryPayload } from './OutboundPlanner';
import { OutboundConfig } from './readOutboundConfig';
import { slackMessage, ticketComment } from './renderMessages';
import { SIGNATURE_HEADER, signWebhook } from './signWebhook';

/** A delivery the receiver answered with a non-2xx status; retried (a 5xx, 408 or 429). */
class DeliveryRejectedError extends Error {
  name = 'DeliveryRejectedError';
}

/**
 * A delivery the receiver refused for good (a 4xx other than 408 Request Timeout and 429 Too
 * Many Requests: a wrong URL, bad credentials, a closed ticket): dead at once, since every retry
 * would be refused the same way.
 */
export class DeliveryRefusedError extends PermanentJobError {
  name = 'DeliveryRefusedError';
}

function isPermanentRefusal(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

type Request = { url: string; headers: Record<string, string>; body: string };

/**
 * Runs `deliver` jobs: posts a signed webhook, a Slack message, or a note/comment on the
 * incident's PagerDuty incident, Jira issue or GitHub issue. A 5xx, 408, 429 or a timeout
 * throws, so the queue retries with backoff and dead-letters after the last attempt; any other
 * 4xx is permanent and dead-letters at once. The job stays visible in `GET /jobs`. Failed attempts are audited (without the secrets).
 */
export class OutboundDeliveryHandler implements JobHandler {
  static create(options: {
    config: OutboundConfig;
    auditor: AuditorService;
    logger: LoggerService;
  }): OutboundDeliveryHandler {
    return new OutboundDeliveryHandler(options);
  }

  private constructor(
    private readonly options: {
      config: OutboundConfig;
      auditor: AuditorService;
      logger: LoggerService;
    },
  ) {}

  async handle(job: Job): Promise<void> {
    const payload = job.payload as DeliveryPayload;
    const request =
      payload.kind === 'webhook'
        ? this.webhookRequest(payload)
        : this.ticketRequest(payload);
    const target =
      payload.kind === 'webhook'
        ? `webhook:${payload.target}`
        : `ticket:${payload.ticket.system}`;
    const auditEvent = await this.options.auditor.createEvent({
      eventId: 'outbound-delivery',
      severityLevel: 'low',
      meta: {
        jobId: job.id,
        incidentId: job.incidentId,
        target,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
      },
    });
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...request.headers },
        body: request.body,
        signal: AbortSignal.timeout(this.options.config.timeoutMs),
      });
    } catch (error) {
      const failure = new Error(
        `${target}: ${
          (error as Error).name === 'TimeoutError'
            ? `no answer within ${this.options.config.timeoutMs} ms`
            : String((error as Error).message)
        }`,
      );
      await auditEvent.fail({ error: failure });
      throw failure;
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      const message = `${target} answered HTTP ${response.status}: ${text.slice(
        0,
        200,
      )}`;
      const failure = isPermanentRefusal(response.status)
        ? new DeliveryRefusedError(`${message} (permanent: not retried)`)
        : new DeliveryRejectedError(message);
      await auditEvent.fail({ error: failure });
      throw failure;
    }
    await auditEvent.success({ meta: { status: response.status } });
  }

  private webhookRequest(
    payload: Extract<DeliveryPayload, { kind: 'webhook' }>,
  ): Request {
    const { config } = this.options;
    const target = config.webhooks.find(w => w.name === payload.target);
    if (!target) {
      throw new Error(
        `Webhook ${payload.target} is no longer in aiTriage.outbound.webhooks`,
      );
    }
    if (target.format === 'slack') {
      return {
        url: target.url,
        headers: {},
        body: JSON.stringify(slackMessage(payload.body, config.portalBaseUrl)),
      };
    }
    const body = JSON.stringify(payload.body);
    return {
      url: target.url,
      headers: {
        'x-ai-triage-event-id': payload.body.event.eventId,
        'x-ai-triage-event-type': payload.body.event.type,
        ...(target.secret
          ? { [SIGNATURE_HEADER]: signWebhook(target.secret, body) }
          : {}),
      },
      body,
    };
  }

  private ticketRequest(
    payload: Extract<DeliveryPayload, { kind: 'ticket' }>,
  ): Request {
    const { tickets, portalBaseUrl } = this.options.config;
    const text = ticketComment(payload.event, portalBaseUrl);
    const ticket: TicketRef = payload.ticket;
    const missing = () =>
      new Error(`aiTriage.outbound.tickets.${ticket.system} is not configured`);
    switch (ticket.system) {
      case 'pagerduty': {
        // REST API v2: POST /incidents/{id}/notes (https://developer.pagerduty.com/api-reference)
        const pd = tickets.pagerduty;
        if (!pd) throw missing();
        return {
          url: `${pd.baseUrl}/incidents/${encodeURIComponent(
            ticket.incidentId,
          )}/notes`,
          headers: {
            authorization: `Token token=${pd.token}`,
            accept: 'application/vnd.pagerduty+json;version=2',
            from: pd.fromEmail,
          },
          body: JSON.stringify({ note: { content: text } }),
        };
      }
      case 'jira': {
        // REST API v2 takes a plain-text comment body (v3 wants Atlassian Document Format).
        const jira = tickets.jira;
        if (!jira) throw missing();
        return {
          url: `${jira.baseUrl}/rest/api/2/issue/${encodeURIComponent(
            ticket.issueKey,
          )}/comment`,
          headers: {
            accept: 'application/json',
            authorization: jira.email
              ? `Basic ${Buffer.from(`${jira.email}:${jira.token}`).toString(
                  'base64',
                )}`
              : `Bearer ${jira.token}`,
          },
          body: JSON.stringify({ body: text }),
        };
      }
      case 'github': {
        const gh = tickets.github;
        if (!gh) throw missing();
        return {
          url: `${gh.baseUrl}/repos/${encodeURIComponent(
            ticket.owner,
          )}/${encodeURIComponent(ticket.repo)}/issues/${
            ticket.issueNumber
          }/comments`,
          headers: {
            accept: 'application/vnd.github+json',
            authorization: `Bearer ${gh.token}`,
            'x-github-api-version': '2022-11-28',
          },
          body: JSON.stringify({ body: text }),
        };
      }
      default:
        throw new Error(`Unknown ticket system in ${JSON.stringify(ticket)}`);
    }
  }
}
