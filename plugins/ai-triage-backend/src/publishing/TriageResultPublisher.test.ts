import { createBackendPlugin } from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  EventParams,
  eventsServiceFactory,
  eventsServiceRef,
} from '@backstage/plugin-events-node';
import {
  AI_TRIAGE_RESULTS_TOPIC,
  TriageResultEvent,
} from '@ai-triage/plugin-ai-triage-common';
import request from 'supertest';
import {
  deliverScenario,
  startAiTriageBackend,
  waitFor,
} from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { notificationsBackend } from '../__testUtils__/workflowTestKit';

jest.setTimeout(60_000);

/**
 * A plugin of the same backend that subscribes to the results topic, and to the topic on which
 * the default signals service hands signals to the signals backend.
 */
function resultListener(received: EventParams[], signals: EventParams[] = []) {
  return createBackendPlugin({
    pluginId: 'results-listener',
    register(env) {
      env.registerInit({
        deps: { events: eventsServiceRef },
        async init({ events }) {
          await events.subscribe({
            id: 'results-listener',
            topics: [AI_TRIAGE_RESULTS_TOPIC],
            onEvent: async event => {
              received.push(event);
            },
          });
          await events.subscribe({
            id: 'signals-listener',
            topics: ['signals'],
            onEvent: async event => {
              signals.push(event);
            },
          });
        },
      });
    },
  });
}

describe('triage results', () => {
  const databases = createTestDatabases();

  it('publish an ai-triage.results event, signal open pages and notify the owners of the entity', async () => {
    const events: EventParams[] = [];
    const signals: EventParams[] = [];
    const notifications: Array<{ body: any; auth?: string }> = [];
    const server = await startAiTriageBackend({
      knex: await databases.init('SQLITE_3'),
      config: { events: { useEventBus: 'never' } },
      features: [
        // The real events service (the test backend's default mock is one per plugin).
        eventsServiceFactory,
        resultListener(events, signals),
        notificationsBackend(notifications),
      ],
    });

    const incidentId = await deliverScenario(server);
    await waitFor('the results event', () => events[0]);
    await waitFor('the notification', () => notifications[0]);
    await waitFor('the signal', () => signals[0]);
    expect(signals[0].eventPayload).toMatchObject({
      channel: 'ai-triage:incidents',
      recipients: { type: 'broadcast' },
      message: { incidentId, change: 'triaged' },
    });

    const [event] = events;
    expect(event.topic).toBe('ai-triage.results');
    const payload = event.eventPayload as TriageResultEvent;
    expect(payload).toMatchObject({
      incidentId,
      entityRef: 'component:default/checkout',
      serviceName: 'checkout',
      reasoner: 'heuristic',
      degraded: false,
      insufficientEvidence: false,
    });
    expect(payload.hypotheses[0]).toMatchObject({
      rank: 1,
      confidence: 'high',
      origin: 'payments',
      kind: 'latency',
    });
    expect(payload.hypotheses[0].probability).toBeGreaterThanOrEqual(0.7);
    expect(payload.hypotheses[0].rootCause).toMatch(/payments/);
    expect(payload.hypotheses[0].evidenceIds[0]).toBe('dep:payments');

    const [{ body, auth }] = notifications;
    expect(auth).toMatch(/^Bearer /);
    expect(body).toMatchObject({
      recipients: { type: 'entity', entityRef: 'component:default/checkout' },
      payload: {
        topic: 'ai-triage.results',
        scope: `ai-triage:${incidentId}`,
        link: '/catalog/default/component/checkout/incidents',
        severity: 'critical',
      },
    });
    expect(body.payload.title).toMatch(/^Triage: /);
    expect(body.payload.description).toMatch(
      /^Most likely \(high confidence, \d+%\): .*payments/,
    );
  });

  it('still publish the event when the notifications plugin is not installed', async () => {
    const events: EventParams[] = [];
    const server = await startAiTriageBackend({
      knex: await databases.init('SQLITE_3'),
      config: { events: { useEventBus: 'never' } },
      features: [
        // The real events service (the test backend's default mock is one per plugin).
        eventsServiceFactory,
        resultListener(events),
      ],
    });
    const incidentId = await deliverScenario(server);
    await waitFor('the results event', () => events[0]);
    expect((events[0].eventPayload as TriageResultEvent).incidentId).toBe(
      incidentId,
    );
    const detail = await request(server)
      .get(`/api/ai-triage/incidents/${incidentId}`)
      .set('authorization', mockCredentials.user.header());
    expect(detail.body.incident.triageState).toBe('triaged');
  });
});
