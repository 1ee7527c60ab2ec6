import {
  coreServices,
  createBackendModule,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { eventsServiceRef, EventParams } from '@backstage/plugin-events-node';
import { JsonObject } from '@backstage/types';
import express from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** One auditor event the plugin created, with how it ended. */
export type RecordedAudit = {
  eventId: string;
  severityLevel?: string;
  meta?: JsonObject;
  outcome: 'initiated' | 'succeeded' | 'failed';
  error?: string;
};

/** An auditor that keeps the events it is given, to assert on them. */
export function recordingAuditor() {
  const audits: RecordedAudit[] = [];
  const factory = createServiceFactory({
    service: coreServices.auditor,
    deps: {},
    factory: () => ({
      async createEvent(options) {
        const record: RecordedAudit = {
          eventId: options.eventId,
          severityLevel: options.severityLevel,
          meta: options.meta,
          outcome: 'initiated',
        };
        audits.push(record);
        return {
          async success(result) {
            record.outcome = 'succeeded';
            record.meta = { ...record.meta, ...result?.meta };
          },
          async fail(result) {
            record.outcome = 'failed';
            record.error = result.error.message;
          },
        };
      },
    }),
  });
  return { audits, factory };
}

/** A module that subscribes to events-service topics and keeps what arrives. */
export function eventRecorder(topics: string[]) {
  const received: EventParams[] = [];
  const module = createBackendModule({
    pluginId: 'ai-triage',
    moduleId: 'test-event-recorder',
    register(env) {
      env.registerInit({
        deps: { events: eventsServiceRef },
        async init({ events }) {
          await events.subscribe({
            id: 'test-event-recorder',
            topics,
            onEvent: async params => {
              received.push(params);
            },
          });
        },
      });
    },
  });
  return { received, module };
}

/** A request a loopback receiver got, with its raw body as sent. */
export type RawRequest = {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
};

/**
 * A loopback HTTP receiver (a webhook endpoint, or a ticket system's REST API) that keeps each
 * request's raw body and answers with the status `answer` gives, in the order they come.
 */
export async function startReceiver(
  answer: (
    req: RawRequest,
    index: number,
  ) => { status: number; body?: unknown },
) {
  const requests: RawRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const request: RawRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
      };
      const { status, body } = answer(request, requests.length);
      requests.push(request);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? {}));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Stands in for the notifications backend: the plugin id `notifications` and the route that
 * `@backstage/plugin-notifications-node`'s client posts to (`POST /api/notifications`).
 */
export function notificationsBackend(
  received: Array<{ body: any; auth?: string }>,
) {
  return createBackendPlugin({
    pluginId: 'notifications',
    register(env) {
      env.registerInit({
        deps: { httpRouter: coreServices.httpRouter },
        async init({ httpRouter }) {
          const router = express.Router();
          router.use(express.json());
          router.post('/', (req, res) => {
            received.push({ body: req.body, auth: req.headers.authorization });
            res.json([]);
          });
          httpRouter.use(router);
        },
      });
    },
  });
}
