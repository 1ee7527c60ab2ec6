import express from 'express';
import request from 'supertest';
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../database/migrations';
import { DatabaseIncidentStore } from '../database/DatabaseIncidentStore';
import { DatabaseJobQueue } from '../database/DatabaseJobQueue';
import { AlertIngestor } from '../ingest/AlertIngestor';
import { CatalogEntityResolver } from '../ingest/EntityResolver';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { createWebhookRouter } from './webhookRouter';

jest.setTimeout(60_000);

const checkoutEntity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'checkout',
    namespace: 'default',
    annotations: { 'opentelemetry.io/service-name': 'checkout-svc' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
};

function payload(overrides: Record<string, unknown> = {}) {
  return {
    version: '4',
    groupKey: '{}:{alertname="CheckoutHighLatency"}',
    status: 'firing',
    receiver: 'ai-triage',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    truncatedAlerts: 0,
    alerts: [
      {
        status: 'firing',
        labels: {
          alertname: 'CheckoutHighLatency',
          service: 'checkout-svc',
          severity: 'critical',
        },
        annotations: { summary: 'p99 above 1s' },
        startsAt: '2026-11-24T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus/graph',
        fingerprint: 'f1',
      },
    ],
    ...overrides,
  };
}

describe('createWebhookRouter', () => {
  const databases = createTestDatabases();
  let knex: Knex;
  let app: express.Express;
  let queue: DatabaseJobQueue;

  async function countRows() {
    const counts: Record<string, number> = {};
    for (const table of ['deliveries', 'incidents', 'alerts', 'jobs']) {
      counts[table] = Number((await knex(table).count({ n: '*' }).first())!.n);
    }
    return counts;
  }

  beforeEach(async () => {
    knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    queue = DatabaseJobQueue.create({ knex });
    const ingestor = AlertIngestor.create({
      incidents: DatabaseIncidentStore.create({
        knex,
        reopenWindowMs: 60_000,
        maxAttempts: 3,
      }),
      queue,
      entities: CatalogEntityResolver.create({
        catalog: catalogServiceMock({ entities: [checkoutEntity] }),
        auth: mockServices.auth(),
      }),
      logger: mockServices.logger.mock(),
    });
    app = express()
      .use(
        '/webhooks',
        await createWebhookRouter({
          httpAuth: mockServices.httpAuth({
            defaultCredentials: mockCredentials.service(),
          }),
          ingestor,
        }),
      )
      .use(mockErrorHandler());
  });

  it('accepts a delivery with 202, links the catalog entity and wakes the workers', async () => {
    const woken = jest.fn();
    queue.onEnqueued(woken);
    const res = await request(app)
      .post('/webhooks/alertmanager')
      .send(payload());
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      deliveryId: expect.any(String),
      duplicate: false,
      incidentIds: [expect.any(String)],
    });
    const incident = await knex('incidents').first();
    expect(incident).toMatchObject({
      entity_ref: 'component:default/checkout',
      service_name: 'checkout-svc',
      severity: 'critical',
    });
    expect(woken).toHaveBeenCalled();
  });

  it('answers a re-delivery of the same body as a duplicate and stores nothing new', async () => {
    const first = await request(app)
      .post('/webhooks/alertmanager')
      .send(payload());
    const second = await request(app)
      .post('/webhooks/alertmanager')
      .send(payload());
    expect(second.status).toBe(202);
    expect(second.body).toEqual({ ...first.body, duplicate: true });
    expect(await countRows()).toEqual({
      deliveries: 1,
      incidents: 1,
      alerts: 1,
      jobs: 1,
    });
  });

  it.each([
    [
      'a wrong timestamp',
      payload({
        alerts: [
          { labels: { alertname: 'A', service: 's' }, startsAt: 'soon' },
        ],
      }),
      'Invalid Alertmanager webhook: alerts[0].startsAt: must be an RFC 3339 timestamp',
    ],
    [
      'no alerts',
      payload({ alerts: [] }),
      'Invalid Alertmanager webhook: alerts: must contain at least one alert',
    ],
    [
      'an alert naming no service',
      payload({
        alerts: [
          { labels: { alertname: 'A' }, startsAt: '2026-11-24T10:00:00Z' },
        ],
      }),
      'Invalid Alertmanager webhook: alerts[0].labels: no service name; set one of service_name, service, job',
    ],
    [
      'a wrong status',
      payload({ status: 'burning' }),
      "Invalid Alertmanager webhook: status: Invalid enum value. Expected 'firing' | 'resolved', received 'burning'",
    ],
  ])(
    'rejects %s with a 400 naming the field, storing nothing',
    async (_, body, message) => {
      const res = await request(app).post('/webhooks/alertmanager').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ name: 'InputError', message });
      expect(await countRows()).toEqual({
        deliveries: 0,
        incidents: 0,
        alerts: 0,
        jobs: 0,
      });
    },
  );

  it('rejects a valid alert next to an invalid one as a whole', async () => {
    const good = payload().alerts[0];
    const res = await request(app)
      .post('/webhooks/alertmanager')
      .send(payload({ alerts: [good, { ...good, startsAt: 42 }] }));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('alerts[1].startsAt');
    expect(await countRows()).toEqual({
      deliveries: 0,
      incidents: 0,
      alerts: 0,
      jobs: 0,
    });
  });

  it('rejects malformed JSON, other content types and oversized bodies', async () => {
    const malformed = await request(app)
      .post('/webhooks/alertmanager')
      .set('content-type', 'application/json')
      .send('{"status": "firing",');
    expect(malformed.status).toBe(400);

    const text = await request(app)
      .post('/webhooks/alertmanager')
      .set('content-type', 'text/plain')
      .send('hello');
    expect(text.status).toBe(415);
    expect(text.body.error.message).toBe(
      'Content-Type must be application/json, got text/plain',
    );

    const huge = payload({
      commonAnnotations: { blob: 'x'.repeat(1_100_000) },
    });
    const tooLarge = await request(app)
      .post('/webhooks/alertmanager')
      .send(huge);
    expect(tooLarge.status).toBe(413);
    expect(await countRows()).toEqual({
      deliveries: 0,
      incidents: 0,
      alerts: 0,
      jobs: 0,
    });
  });

  it('refuses callers without service credentials', async () => {
    const userApp = express()
      .use(
        '/webhooks',
        await createWebhookRouter({
          httpAuth: mockServices.httpAuth({
            defaultCredentials: mockCredentials.none(),
          }),
          ingestor: undefined as unknown as AlertIngestor,
        }),
      )
      .use(mockErrorHandler());
    const res = await request(userApp)
      .post('/webhooks/alertmanager')
      .send(payload());
    expect(res.status).toBe(401);
  });
});
