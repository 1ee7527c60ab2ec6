import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  AI_TRIAGE_REVIEWS_TOPIC,
  ReviewEvent,
} from '@ai-triage/plugin-ai-triage-common';
import { isLastAttempt, Job } from '../queue/JobQueue';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { startReceiver } from '../__testUtils__/workflowTestKit';
import { OutboundDeliveryHandler } from './OutboundDeliveryHandler';
import { DeliveryPayload } from './OutboundPlanner';
import { readOutboundConfig } from './readOutboundConfig';

const event: ReviewEvent = {
  eventId: '6f1c2f4e-7a53-4c55-9d1e-2d3c4b5a6f70',
  type: 'hypothesis.accepted',
  incident: {
    id: 'inc-1',
    title: 'HighErrorRate on checkout',
    entityRef: 'component:default/checkout',
    serviceName: 'checkout',
    severity: 'critical',
    status: 'acknowledged',
  },
  hypothesisId: 'h1',
  decision: 'accepted',
  rootCause: 'payments connection pool exhausted',
  diagnosticSteps: ['Check the pool size of payments'],
  evidenceIds: ['dep:payments'],
  reviewer: 'user:default/alice',
  comment: null,
  occurredAt: '2026-12-06T10:00:00.000Z',
};

function job(payload: DeliveryPayload): Job {
  return {
    id: '7',
    type: 'deliver',
    incidentId: 'inc-1',
    payload,
    status: 'running',
    attempts: 1,
    maxAttempts: 8,
    runAfter: '2026-12-06T10:00:00.000Z',
    leaseOwner: 'w',
    leaseExpiresAt: null,
    lastError: null,
    traceparent: null,
    triageStartedAt: '2026-12-06T10:00:00.000Z',
    createdAt: '2026-12-06T10:00:00.000Z',
    updatedAt: '2026-12-06T10:00:00.000Z',
  };
}

function handlerFor(webhook: object, timeoutSeconds = 10) {
  const config = readOutboundConfig(
    new ConfigReader({
      app: { baseUrl: 'http://portal.test' },
      aiTriage: { outbound: { timeoutSeconds, webhooks: [webhook] } },
    }),
  );
  const audits: Array<{ outcome: string; error?: string }> = [];
  const handler = OutboundDeliveryHandler.create({
    config,
    auditor: {
      async createEvent(options) {
        const record = { ...options, outcome: 'initiated' } as {
          outcome: string;
          error?: string;
        };
        audits.push(record);
        return {
          async success() {
            record.outcome = 'succeeded';
          },
          async fail({ error }) {
            record.outcome = 'failed';
            record.error = error.message;
          },
        };
      },
    },
    logger: mockServices.logger.mock(),
  });
  return { handler, audits };
}

describe('OutboundDeliveryHandler', () => {
  it('posts a Slack incoming-webhook message with the incident, the accepted cause and a link', async () => {
    // Slack answers a good message with 200 and the body "ok".
    const slack = await startReceiver(() => ({ status: 200, body: 'ok' }));
    try {
      const { handler, audits } = handlerFor({
        name: 'slack',
        format: 'slack',
        url: `${slack.url}/services/T000/B000/XXXX`,
      });
      await handler.handle(
        job({
          kind: 'webhook',
          target: 'slack',
          body: { topic: AI_TRIAGE_REVIEWS_TOPIC, event },
        }),
      );
      expect(slack.requests).toHaveLength(1);
      expect(slack.requests[0].path).toBe('/services/T000/B000/XXXX');
      expect(slack.requests[0].headers['content-type']).toBe(
        'application/json',
      );
      const message = JSON.parse(slack.requests[0].rawBody);
      expect(message.text).toBe(
        'Root cause accepted: HighErrorRate on checkout',
      );
      expect(message.blocks.map((b: { type: string }) => b.type)).toEqual([
        'header',
        'section',
        'section',
        'actions',
      ]);
      expect(message.blocks[2].text.text).toContain(
        'payments connection pool exhausted',
      );
      expect(message.blocks[2].text.text).toContain(
        '1. Check the pool size of payments',
      );
      expect(message.blocks[3].elements[0].url).toBe(
        'http://portal.test/catalog/default/component/checkout/incidents?incident=inc-1',
      );
      expect(audits.map(a => a.outcome)).toEqual(['succeeded']);
    } finally {
      await slack.close();
    }
  });

  it('fails the attempt on a 4xx and on a timeout, audited without the secret', async () => {
    const rejecting = await startReceiver(() => ({
      status: 410,
      body: { message: 'gone' },
    }));
    try {
      const { handler, audits } = handlerFor({
        name: 'ops',
        url: rejecting.url,
        secret: 'top-secret-value',
      });
      const deliver = job({
        kind: 'webhook',
        target: 'ops',
        body: { topic: AI_TRIAGE_REVIEWS_TOPIC, event },
      });
      await expect(handler.handle(deliver)).rejects.toThrow(
        /webhook:ops answered HTTP 410/,
      );
      expect(audits).toEqual([
        expect.objectContaining({
          outcome: 'failed',
          error: expect.stringMatching(/HTTP 410/),
        }),
      ]);
      expect(JSON.stringify(audits)).not.toContain('top-secret-value');
    } finally {
      await rejecting.close();
    }

    // A receiver that accepts the connection and never answers.
    const silent = http.createServer(() => {});
    await new Promise<void>(resolve =>
      silent.listen(0, '127.0.0.1', () => resolve()),
    );
    try {
      const { port } = silent.address() as AddressInfo;
      const { handler, audits } = handlerFor(
        { name: 'slow', url: `http://127.0.0.1:${port}/` },
        0.3,
      );
      await expect(
        handler.handle(
          job({
            kind: 'webhook',
            target: 'slow',
            body: { topic: AI_TRIAGE_REVIEWS_TOPIC, event },
          }),
        ),
      ).rejects.toThrow(/no answer within 300 ms/);
      expect(audits.map(a => a.outcome)).toEqual(['failed']);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
  it.each([
    [400, true],
    [401, true],
    [404, true],
    [410, true],
    [408, false],
    [429, false],
    [500, false],
    [503, false],
  ])(
    'answers HTTP %i: the first attempt is the last (permanent) = %p',
    async (status, permanent) => {
      const receiver = await startReceiver(() => ({ status }));
      try {
        const { handler } = handlerFor({ name: 'ops', url: receiver.url });
        const deliver = job({
          kind: 'webhook',
          target: 'ops',
          body: { topic: AI_TRIAGE_REVIEWS_TOPIC, event },
        });
        const failure: Error = await handler.handle(deliver).then(
          () => {
            throw new Error('the delivery should have failed');
          },
          (error: Error) => error,
        );
        expect(failure.message).toMatch(`HTTP ${status}`);
        expect(isLastAttempt({ ...deliver, attempts: 1 }, failure)).toBe(
          permanent,
        );
      } finally {
        await receiver.close();
      }
    },
  );
});
