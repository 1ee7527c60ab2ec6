import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import eventsPlugin from '@backstage/plugin-events-backend';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AI_TRIAGE_RESULTS_TOPIC,
  AI_TRIAGE_SIGNAL_CHANNEL,
} from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import { Server } from 'node:http';
import { aiTriagePlugin } from '../plugin';
import {
  checkoutEntity,
  deliverScenario,
  waitFor,
} from '../__testUtils__/testBackend';
import { eventRecorder } from '../__testUtils__/workflowTestKit';

// Stopping a backend waits for its event-bus long poll to end, which takes most of the time.
jest.setTimeout(150_000);

const POSTGRES =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING;

/** Each plugin its own database, as in production: ai-triage's and the events bus's. */
function databasePerPlugin(databases: { aiTriage: Knex; events: Knex }) {
  return createServiceFactory({
    service: coreServices.database,
    deps: { plugin: coreServices.pluginMetadata },
    factory: ({ plugin }) => ({
      getClient: async () =>
        plugin.getId() === 'events' ? databases.events : databases.aiTriage,
    }),
  });
}

// The events bus of @backstage/plugin-events-backend needs PostgreSQL (LISTEN/NOTIFY).
(POSTGRES || process.env.CI ? describe : describe.skip)(
  'two backend instances on one PostgreSQL',
  () => {
    const databases = TestDatabases.create({
      ids: ['POSTGRES_16'],
      disableDocker: true,
    });

    it('delivers a result published by the worker instance to a signals subscriber on the HTTP instance', async () => {
      const shared = {
        aiTriage: await databases.init('POSTGRES_16'),
        events: await databases.init('POSTGRES_16'),
      };
      const features = [
        aiTriagePlugin,
        eventsPlugin,
        // The real events service (the test default stays in one process), which publishes
        // through the events backend's bus when one is installed.
        eventsServiceFactory,
        catalogServiceMock.factory({ entities: [checkoutEntity] }),
        databasePerPlugin(shared),
      ];
      // The portal pod: serves HTTP, runs no workers; subscribes as the signals backend does.
      const subscriber = eventRecorder(['signals', AI_TRIAGE_RESULTS_TOPIC]);
      const web = await startTestBackend({
        features: [
          ...features,
          subscriber.module,
          mockServices.rootConfig.factory({
            data: { aiTriage: { workers: { enabled: false } } },
          }),
        ],
      });
      // The worker pod: runs the enrich and reason workers.
      const worker = await startTestBackend({
        features: [...features, mockServices.rootConfig.factory({ data: {} })],
      });
      try {
        const incidentId = await deliverScenario(web.server as Server);
        const signal = await waitFor(
          'the triaged signal on the HTTP instance',
          () =>
            subscriber.received.find(event => {
              const payload = event.eventPayload as {
                channel?: string;
                message?: { incidentId?: string; change?: string };
              };
              return (
                event.topic === 'signals' &&
                payload.channel === AI_TRIAGE_SIGNAL_CHANNEL &&
                payload.message?.incidentId === incidentId &&
                payload.message?.change === 'triaged'
              );
            }),
          20_000,
        );
        expect(signal).toBeDefined();
        const result = await waitFor('the result event', () =>
          subscriber.received.find(
            event =>
              event.topic === AI_TRIAGE_RESULTS_TOPIC &&
              (event.eventPayload as { incidentId: string }).incidentId ===
                incidentId,
          ),
        );
        expect(
          (result.eventPayload as { hypotheses: unknown[] }).hypotheses.length,
        ).toBeGreaterThan(0);
      } finally {
        await worker.stop();
        await web.stop();
      }
    });
  },
);
