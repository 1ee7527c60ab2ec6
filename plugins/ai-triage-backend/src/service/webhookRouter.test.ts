import express from 'express';
import request from 'supertest';
import {
  TestDatabaseId,
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ALERT_SOURCES, AlertSource } from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../database/migrations';
import { DatabaseIncidentStore } from '../database/DatabaseIncidentStore';
import { DatabaseJobQueue } from '../queue/DatabaseJobQueue';
import { AlertIngestor } from '../ingest/AlertIngestor';
import { CatalogEntityResolver } from '../catalog/EntityResolver';
import { IntakeLimits } from '../ingest/IntakeLimits';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { serviceComponent } from '../__testUtils__/entities';
import { webhookPayloads } from '../__testUtils__/webhookPayloads';
import { createWebhookRouter } from './webhookRouter';

jest.setTimeout(120_000);

const checkoutEntity = serviceComponent('checkout', {
  serviceName: 'checkout-svc',
});

/** Small limits, so every limit is cheap to break. */
const limits: IntakeLimits = {
  maxBodyBytes: 64 * 1024,
  maxAlertsPerDelivery: 20,
  maxLabelsPerAlert: 12,
  maxLabelNameLength: 40,
  maxLabelValueLength: 100,
  maxAnnotationValueLength: 1000,
  maxClockSkewMs: 300_000,
  maxTimestampAgeMs: 3650 * 86_400_000,
};

/** Row counts of every table of the plugin's database, migrations' own included. */
async function countAllRows(knex: Knex): Promise<Record<string, number>> {
  const tables: string[] = knex.client.config.client.includes('pg')
    ? (
        await knex('information_schema.tables')
          .where('table_schema', knex.raw('current_schema()'))
          .select('table_name')
      ).map((r: { table_name: string }) => r.table_name)
    : (
        await knex('sqlite_master')
          .where('type', 'table')
          .andWhereNot('name', 'like', 'sqlite_%')
          .select('name')
      ).map((r: { name: string }) => r.name);
  const counts: Record<string, number> = {};
  for (const table of tables.sort()) {
    counts[table] = Number((await knex(table).count({ n: '*' }).first())!.n);
  }
  return counts;
}

/** The catalog answering every entity query only after `delayMs`, as one under load does. */
function slowCatalog<T extends object>(catalog: T, delayMs: number): T {
  if (delayMs === 0) return catalog;
  return new Proxy(catalog, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== 'getEntities' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await new Promise(resolve => setTimeout(resolve, delayMs));
        return value.apply(target, args);
      };
    },
  });
}

/** Polls until the query returns what is expected (the link follows the 202 at once). */
async function eventually<T>(query: () => Promise<T>, expected: T) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await query();
    try {
      expect(value).toEqual(expected);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise(resolve => setTimeout(resolve, 25));
  }
}

describe('createWebhookRouter', () => {
  const databases = createTestDatabases();

  async function setup(
    databaseId: TestDatabaseId,
    now = () => Date.now(),
    catalogDelayMs = 0,
  ) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    const queue = DatabaseJobQueue.create({ knex });
    const entity = structuredClone(checkoutEntity);
    const incidents = DatabaseIncidentStore.create({
      knex,
      reopenWindowMs: 60_000,
      maxAttempts: 3,
    });
    const ingestor = AlertIngestor.create({
      incidents,
      queue,
      entities: CatalogEntityResolver.create({
        catalog: slowCatalog(
          catalogServiceMock({ entities: [entity] }),
          catalogDelayMs,
        ),
        auth: mockServices.auth(),
        now,
      }),
      limits,
      logger: mockServices.logger.mock(),
    });
    const app = express()
      .use(
        '/webhooks',
        await createWebhookRouter({
          httpAuth: mockServices.httpAuth({
            defaultCredentials: mockCredentials.service(),
          }),
          ingestor,
          maxBodyBytes: limits.maxBodyBytes,
        }),
      )
      .use(mockErrorHandler());
    return { knex, queue, app, entity };
  }

  it.each(databases.eachSupportedId())(
    'accepts each sender with 202, links the catalog entity, keeps unknown services unlinked and wakes the workers, %p',
    async databaseId => {
      const { knex, queue, app } = await setup(databaseId);
      const woken = jest.fn();
      const unsubscribe = queue.onEnqueued(woken);
      for (const source of ALERT_SOURCES) {
        const res = await request(app)
          .post(`/webhooks/${source}`)
          .send(webhookPayloads[source]());
        expect({ source, status: res.status, body: res.body }).toEqual({
          source,
          status: 202,
          body: {
            deliveryId: expect.any(String),
            duplicate: false,
            incidentIds: [expect.any(String)],
          },
        });
        const unknown = await request(app)
          .post(`/webhooks/${source}`)
          .send(
            webhookPayloads[source]({ service: 'not-in-catalog', key: 'u' }),
          );
        expect(unknown.status).toBe(202);
      }
      await eventually(
        () =>
          knex('incidents')
            .select('service_name', 'entity_ref')
            .orderBy('service_name'),
        [
          ...ALERT_SOURCES.map(() => ({
            service_name: 'checkout-svc',
            entity_ref: 'component:default/checkout',
          })),
          ...ALERT_SOURCES.map(() => ({
            service_name: 'not-in-catalog',
            entity_ref: null,
          })),
        ],
      );
      const sources = await knex('alerts').distinct('source').pluck('source');
      expect(sources.sort()).toEqual([...ALERT_SOURCES].sort());
      expect(woken).toHaveBeenCalled();
      await unsubscribe();
    },
  );

  it.each(databases.eachSupportedId())(
    'records how many alerts a truncated Alertmanager delivery left out, %p',
    async databaseId => {
      const { knex, app } = await setup(databaseId);
      const res = await request(app)
        .post('/webhooks/alertmanager')
        .send({ ...webhookPayloads.alertmanager(), truncatedAlerts: 3 });
      expect(res.status).toBe(202);
      const delivery = await knex('deliveries')
        .where('id', res.body.deliveryId)
        .first('truncated_alerts', 'alert_count');
      expect(delivery).toEqual({ truncated_alerts: 3, alert_count: 1 });
    },
  );

  it.each(databases.eachSupportedId())(
    'answers a re-delivery of the same body as a duplicate for every sender and stores nothing new, %p',
    async databaseId => {
      const { knex, app } = await setup(databaseId);
      for (const source of ALERT_SOURCES) {
        const body = webhookPayloads[source]();
        const first = await request(app).post(`/webhooks/${source}`).send(body);
        const before = await countAllRows(knex);
        const second = await request(app)
          .post(`/webhooks/${source}`)
          .send(body);
        expect(second.status).toBe(202);
        expect(second.body).toEqual({ ...first.body, duplicate: true });
        expect(await countAllRows(knex)).toEqual(before);
      }
      expect(await countAllRows(knex)).toMatchObject({
        deliveries: 4,
        incidents: 4,
        alerts: 4,
        jobs: 4,
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'follows a PagerDuty alert by dedup_key through acknowledge and resolve, and ignores a resolve of an unknown key, %p',
    async databaseId => {
      const { knex, app } = await setup(databaseId);
      const trigger = await request(app)
        .post('/webhooks/pagerduty')
        .send(webhookPayloads.pagerduty({ key: 'db' }));
      const [incidentId] = trigger.body.incidentIds;
      const ack = await request(app)
        .post('/webhooks/pagerduty')
        .send({ event_action: 'acknowledge', dedup_key: 'pd-db' });
      expect(ack.body.incidentIds).toEqual([incidentId]);
      expect(
        await knex('incidents').where('id', incidentId).first(),
      ).toMatchObject({ status: 'open' });
      // A resolve that summarizes differently still resolves the alert its dedup_key names.
      const resolve = await request(app)
        .post('/webhooks/pagerduty')
        .send({
          event_action: 'resolve',
          dedup_key: 'pd-db',
          payload: {
            summary: 'recovered',
            source: 'other',
            severity: 'info',
            class: 'SomethingElse',
          },
        });
      expect(resolve.body.incidentIds).toEqual([incidentId]);
      const alerts = await knex('alerts');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({
        name: 'CheckoutDbPool',
        status: 'resolved',
        source: 'pagerduty',
      });
      expect(JSON.parse(alerts[0].annotations)).toMatchObject({
        pagerduty_event_action: 'resolve',
        summary: 'recovered',
      });
      expect(
        await knex('incidents').where('id', incidentId).first(),
      ).toMatchObject({ status: 'resolved' });
      expect(JSON.stringify(await knex('alerts'))).not.toContain('routing');

      const unknown = await request(app)
        .post('/webhooks/pagerduty')
        .send({ event_action: 'resolve', dedup_key: 'never-seen' });
      expect(unknown.status).toBe(202);
      expect(unknown.body.incidentIds).toEqual([]);
      expect(await knex('alerts')).toHaveLength(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'links a service annotated in the catalog later, once the cached miss has expired, %p',
    async databaseId => {
      let clock = Date.parse('2026-11-24T12:00:00Z');
      const { knex, app, entity } = await setup(databaseId, () => clock);
      await request(app)
        .post('/webhooks/generic')
        .send(webhookPayloads.generic({ service: 'late-svc', key: '1' }));
      // The miss is cached once the lookup after the first delivery settles.
      await new Promise(resolve => setTimeout(resolve, 50));
      entity.metadata.annotations['opentelemetry.io/service-name'] = 'late-svc';
      await request(app)
        .post('/webhooks/generic')
        .send(webhookPayloads.generic({ service: 'late-svc', key: '2' }));
      expect(await knex('incidents').pluck('entity_ref')).toEqual([null]);
      clock += 10_001;
      await request(app)
        .post('/webhooks/generic')
        .send(webhookPayloads.generic({ service: 'late-svc', key: '3' }));
      await eventually(
        () => knex('incidents').pluck('entity_ref'),
        ['component:default/checkout'],
      );
    },
  );

  const long = (n: number) => 'x'.repeat(n);
  const many = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'v']));
  const rejections: Array<[AlertSource, string, unknown, number, string]> = [
    ...ALERT_SOURCES.flatMap(
      (source): Array<[AlertSource, string, unknown, number, string]> => [
        [
          source,
          'an oversized body',
          webhookPayloads[source]({ annotations: { blob: long(70_000) } }),
          413,
          'is over the limit of 65536 bytes (aiTriage.intake.maxBodyBytes)',
        ],
        [
          source,
          'malformed JSON',
          '{"status": "firing",',
          400,
          'Body is not valid JSON',
        ],
        [
          source,
          'a text body',
          'hello',
          415,
          'Content-Type must be application/json, got text/plain',
        ],
      ],
    ),
    ...(['alertmanager', 'grafana', 'generic'] as const).flatMap(
      (source): Array<[AlertSource, string, unknown, number, string]> => {
        const one = webhookPayloads[source]();
        const alert = one.alerts[0];
        return [
          [
            source,
            'too many alerts',
            { ...one, alerts: Array.from({ length: 21 }, () => alert) },
            400,
            'alerts: 21 alerts, over the limit of 20 per delivery (aiTriage.intake.maxAlertsPerDelivery)',
          ],
          [
            source,
            'too many labels',
            webhookPayloads[source]({ labels: many(13) }),
            400,
            'alerts[0].labels: ',
          ],
          [
            source,
            'a long label name',
            webhookPayloads[source]({ labels: { [long(41)]: 'v' } }),
            400,
            'over the limit of 40 (aiTriage.intake.maxLabelNameLength)',
          ],
          [
            source,
            'a long label value',
            webhookPayloads[source]({ labels: { pod: long(101) } }),
            400,
            'alerts[0].labels.pod: value of 101 characters, over the limit of 100 (aiTriage.intake.maxLabelValueLength)',
          ],
          [
            source,
            'a long annotation',
            webhookPayloads[source]({
              annotations: { description: long(1001) },
            }),
            400,
            'alerts[0].annotations.description: value of 1001 characters, over the limit of 1000 (aiTriage.intake.maxAnnotationValueLength)',
          ],
          [
            source,
            'a long alert name',
            webhookPayloads[source]({ name: long(121) }),
            400,
            'alerts[0]: alert name of 121 characters, over the limit of 120',
          ],
          [
            source,
            'a wrong timestamp',
            { ...one, alerts: [{ ...alert, startsAt: 'soon' }] },
            400,
            'alerts[0].startsAt: must be an RFC 3339 timestamp',
          ],
          [
            source,
            'a valid alert next to an invalid one',
            { ...one, alerts: [alert, { ...alert, startsAt: 42 }] },
            400,
            'alerts[1].startsAt',
          ],
          [
            source,
            'no alerts',
            { ...one, alerts: [] },
            400,
            'alerts: must contain at least one alert',
          ],
        ];
      },
    ),
    [
      'alertmanager',
      'a wrong status',
      webhookPayloads.alertmanager({ status: 'burning' as 'firing' }),
      400,
      "Invalid Alertmanager webhook: status: Invalid enum value. Expected 'firing' | 'resolved', received 'burning'",
    ],
    [
      'grafana',
      'an alert without alertname',
      {
        ...webhookPayloads.grafana(),
        alerts: [
          { ...webhookPayloads.grafana().alerts[0], labels: { a: 'b' } },
        ],
      },
      400,
      'Invalid Grafana webhook: alerts[0].labels: labels.alertname is required',
    ],
    [
      'generic',
      'an alert without service',
      { alerts: [{ title: 'X' }] },
      400,
      'Invalid generic webhook: alerts[0].service: Required',
    ],
    [
      'pagerduty',
      'a trigger without payload',
      { event_action: 'trigger', dedup_key: 'k' },
      400,
      'Invalid PagerDuty event: payload: is required when event_action is trigger',
    ],
    [
      'pagerduty',
      'an acknowledge without dedup_key',
      { event_action: 'acknowledge' },
      400,
      'dedup_key: is required when event_action is acknowledge',
    ],
    [
      'pagerduty',
      'an unknown severity',
      {
        ...webhookPayloads.pagerduty(),
        payload: { ...webhookPayloads.pagerduty().payload, severity: 'sev1' },
      },
      400,
      'payload.severity: Invalid enum value',
    ],
    [
      'pagerduty',
      'long custom details',
      webhookPayloads.pagerduty({ annotations: { trace: long(1000) } }),
      400,
      '(event).annotations.custom_details: value of 1012 characters, over the limit of 1000 (aiTriage.intake.maxAnnotationValueLength)',
    ],
    [
      'generic',
      'a NUL character in the title',
      webhookPayloads.generic({ name: 'Queue\u0000Lag' }),
      400,
      'alerts[0].title: contains a NUL character',
    ],
    [
      'alertmanager',
      'a NUL character in the service label',
      webhookPayloads.alertmanager({ service: 'check\u0000out' }),
      400,
      'alerts[0].labels.service: contains a NUL character',
    ],
    [
      'generic',
      'a long id',
      { alerts: [{ ...webhookPayloads.generic().alerts[0], id: long(256) }] },
      400,
      'alerts[0]: fingerprint of 256 characters, over the limit of 255',
    ],
    [
      'pagerduty',
      'a long service name',
      webhookPayloads.pagerduty({ service: long(121) }),
      400,
      '(event): service.name of 121 characters, over the limit of 120',
    ],
  ];

  it.each(databases.eachSupportedId())(
    'answers every rejection with a 4xx naming the problem and leaves every table unchanged, %p',
    async databaseId => {
      const { knex, app } = await setup(databaseId);
      // Something stored first, so "unchanged" is not just "empty".
      for (const source of ALERT_SOURCES) {
        await request(app)
          .post(`/webhooks/${source}`)
          .send(webhookPayloads[source]())
          .expect(202);
      }
      const before = await countAllRows(knex);
      expect(before.alerts).toBe(4);
      const outcomes = [];
      for (const [source, what, body, , message] of rejections) {
        const req = request(app).post(`/webhooks/${source}`);
        const res = await (typeof body === 'string'
          ? req
              .set(
                'content-type',
                what === 'a text body' ? 'text/plain' : 'application/json',
              )
              .send(body)
          : req.send(body as object));
        outcomes.push({
          source,
          what,
          status: res.status,
          names: String(res.body?.error?.message).includes(message)
            ? 'the problem'
            : res.body?.error?.message,
        });
      }
      expect(outcomes).toEqual(
        rejections.map(([source, what, , status]) => ({
          source,
          what,
          status,
          names: 'the problem',
        })),
      );
      expect(await countAllRows(knex)).toEqual(before);
    },
  );

  it.each(databases.eachSupportedId())(
    'loses and doubles nothing under concurrent deliveries from every sender, %p',
    async databaseId => {
      const { knex, app } = await setup(databaseId);
      // Per sender: 8 alerts of one service and cause, plus 2 of another service; each body
      // is sent twice, all at once.
      const bodies = ALERT_SOURCES.flatMap(source => [
        ...Array.from({ length: 8 }, (_, i) => ({
          source,
          body: webhookPayloads[source]({ key: `k${i}` }),
        })),
        ...Array.from({ length: 2 }, (_, i) => ({
          source,
          body: webhookPayloads[source]({ key: `o${i}`, service: 'other-svc' }),
        })),
      ]);
      const responses = await Promise.all(
        [...bodies, ...bodies].map(({ source, body }) =>
          request(app).post(`/webhooks/${source}`).send(body),
        ),
      );
      expect(responses.map(r => r.status)).toEqual(responses.map(() => 202));
      expect(responses.filter(r => r.body.duplicate)).toHaveLength(
        bodies.length,
      );
      const counts = await countAllRows(knex);
      expect(counts).toMatchObject({
        deliveries: bodies.length,
        alerts: bodies.length,
        incidents: 2 * ALERT_SOURCES.length,
        jobs: 2 * ALERT_SOURCES.length,
      });
      const perIncident = await knex('alerts')
        .groupBy('incident_id')
        .select('incident_id')
        .count({ n: '*' });
      expect(perIncident.map(r => Number(r.n)).sort()).toEqual(
        ALERT_SOURCES.flatMap(() => [2, 8]).sort(),
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'stores a delivery at once while the catalog takes 3 s, and links it right after, %p',
    async databaseId => {
      const { knex, app } = await setup(databaseId, undefined, 3_000);
      const started = Date.now();
      const res = await request(app)
        .post('/webhooks/alertmanager')
        .send(webhookPayloads.alertmanager());
      const answeredMs = Date.now() - started;
      expect(res.status).toBe(202);
      // Before: the delivery waited for the catalog (up to its 5 s timeout).
      expect(answeredMs).toBeLessThan(2_000);
      expect(await knex('incidents').pluck('entity_ref')).toEqual([null]);
      await eventually(
        () => knex('incidents').pluck('entity_ref'),
        ['component:default/checkout'],
      );
    },
  );

  /** Each sender's payload with `timestamp` as the time of its alert. */
  const withTime: Record<AlertSource, (at: string) => Record<string, any>> = {
    alertmanager: at => {
      const body = webhookPayloads.alertmanager();
      body.alerts[0].startsAt = at;
      return body;
    },
    grafana: at => {
      const body = webhookPayloads.grafana();
      body.alerts[0].startsAt = at;
      return body;
    },
    pagerduty: at => {
      const body = webhookPayloads.pagerduty();
      body.payload.timestamp = at;
      return body;
    },
    generic: at => {
      const body = webhookPayloads.generic();
      body.alerts[0].startsAt = at;
      return body;
    },
  };

  it.each(databases.eachSupportedId())(
    'answers 400 naming the field for values that cannot be stored, and stores nothing, %p',
    async databaseId => {
      const { knex, app } = await setup(databaseId);
      const before = await countAllRows(knex);
      const deep: Record<string, unknown> = {};
      let cursor = deep;
      for (let i = 0; i < 1000; i++) {
        cursor.next = {};
        cursor = cursor.next as Record<string, unknown>;
      }
      const cases: Array<[AlertSource, object, RegExp]> = [
        // An offset of +25:00 matches the RFC 3339 pattern but names no instant.
        ...ALERT_SOURCES.map(
          source =>
            [
              source,
              withTime[source]('2026-11-24T10:00:00+25:00'),
              /must be a real instant/,
            ] as [AlertSource, object, RegExp],
        ),
        [
          'alertmanager',
          webhookPayloads.alertmanager({ labels: { env: 'prod\u0000x' } }),
          /alerts\[0\]\.labels\.env: contains a NUL character/,
        ],
        [
          'pagerduty',
          {
            ...webhookPayloads.pagerduty(),
            payload: {
              ...webhookPayloads.pagerduty().payload,
              custom_details: deep,
            },
          },
          /nested deeper than 32 levels/,
        ],
      ];
      for (const [source, body, message] of cases) {
        const res = await request(app).post(`/webhooks/${source}`).send(body);
        expect({ source, status: res.status }).toEqual({ source, status: 400 });
        expect(res.body.error.message).toMatch(message);
      }
      expect(await countAllRows(knex)).toEqual(before);
    },
  );

  it.each(databases.eachSupportedId())(
    'clamps timestamps far ahead of the clock (year 5138) to the allowed skew, for every sender, %p',
    async databaseId => {
      const { knex, app } = await setup(databaseId);
      for (const source of ALERT_SOURCES) {
        const res = await request(app)
          .post(`/webhooks/${source}`)
          .send(withTime[source]('5138-11-16T09:46:40Z'));
        expect({ source, status: res.status }).toEqual({ source, status: 202 });
      }
      const starts: unknown[] = await knex('alerts').pluck('starts_at');
      expect(starts).toHaveLength(ALERT_SOURCES.length);
      for (const start of starts) {
        const time = new Date(start as string).getTime();
        expect(time).toBeLessThanOrEqual(Date.now() + 300_000);
        expect(time).toBeGreaterThan(Date.now() - 60_000);
      }
    },
  );

  it('refuses callers without service credentials', async () => {
    const userApp = express()
      .use(
        '/webhooks',
        await createWebhookRouter({
          httpAuth: mockServices.httpAuth({
            defaultCredentials: mockCredentials.none(),
          }),
          ingestor: undefined as unknown as AlertIngestor,
          maxBodyBytes: limits.maxBodyBytes,
        }),
      )
      .use(mockErrorHandler());
    for (const source of ALERT_SOURCES) {
      const res = await request(userApp)
        .post(`/webhooks/${source}`)
        .send(webhookPayloads[source]());
      expect(res.status).toBe(401);
    }
  });
});
