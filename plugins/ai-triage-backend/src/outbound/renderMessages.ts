import { parseEntityRef } from '@backstage/catalog-model';
import {
  OutboundWebhookBody,
  ReviewEvent,
} from '@ai-triage/plugin-ai-triage-common';

/** The incident's page in the portal: its entity's Incidents tab, or the feed when unlinked. */
export function incidentLink(
  portalBaseUrl: string,
  incident: { id: string; entityRef: string | null },
): string {
  const query = `?incident=${encodeURIComponent(incident.id)}`;
  if (!incident.entityRef) {
    return `${portalBaseUrl}/ai-triage${query}`;
  }
  const { kind, namespace, name } = parseEntityRef(incident.entityRef);
  return `${portalBaseUrl}/catalog/${encodeURIComponent(
    namespace,
  )}/${encodeURIComponent(
    kind.toLocaleLowerCase('en-US'),
  )}/${encodeURIComponent(name)}/incidents${query}`;
}

const HEADLINES: Record<OutboundWebhookBody['event']['type'], string> = {
  'incident.acknowledged': 'Incident acknowledged',
  'incident.resolved': 'Incident resolved',
  'incident.reopened': 'Incident reopened',
  'incident.retriaged': 'Incident sent to triage again',
  'hypothesis.accepted': 'Root cause accepted',
  'hypothesis.modified': 'Root cause accepted with changes',
  'hypothesis.rejected': 'Hypothesis rejected',
};

/** A Slack incoming-webhook message (text fallback plus Block Kit blocks) for an event. */
export function slackMessage(
  body: OutboundWebhookBody,
  portalBaseUrl: string,
): object {
  const { event } = body;
  const { incident } = event;
  const headline = `${HEADLINES[event.type]}: ${incident.title}`;
  const actor = 'reviewer' in event ? event.reviewer : event.actor;
  const fields = [
    `*Service*\n${incident.serviceName}`,
    `*Severity*\n${incident.severity}`,
    `*Status*\n${incident.status}`,
    `*By*\n${actor}`,
  ].map(text => ({ type: 'mrkdwn', text }));
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: headline } },
    { type: 'section', fields },
  ];
  if ('rootCause' in event && event.decision !== 'rejected') {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Accepted cause*\n${event.rootCause}${
          event.diagnosticSteps.length
            ? `\n*Next steps*\n${event.diagnosticSteps
                .map((step, i) => `${i + 1}. ${step}`)
                .join('\n')}`
            : ''
        }`,
      },
    });
  }
  if (event.comment) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: event.comment }],
    });
  }
  if (portalBaseUrl) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in the portal' },
          url: incidentLink(portalBaseUrl, incident),
        },
      ],
    });
  }
  return { text: headline, blocks };
}

/** The plain-text note or comment posted on a ticket when a root cause is accepted. */
export function ticketComment(event: ReviewEvent, portalBaseUrl: string) {
  const lines = [
    `AI triage: root cause ${
      event.decision === 'modified' ? 'accepted with changes' : 'accepted'
    } by ${event.reviewer}`,
    '',
    `Cause: ${event.rootCause}`,
  ];
  if (event.evidenceIds.length) {
    lines.push(`Evidence: ${event.evidenceIds.join(', ')}`);
  }
  if (event.diagnosticSteps.length) {
    lines.push('', 'Next diagnostic steps:');
    event.diagnosticSteps.forEach((step, i) => lines.push(`${i + 1}. ${step}`));
  }
  if (event.comment) {
    lines.push('', `Reviewer's note: ${event.comment}`);
  }
  if (portalBaseUrl) {
    lines.push('', `Incident: ${incidentLink(portalBaseUrl, event.incident)}`);
  }
  return lines.join('\n');
}
