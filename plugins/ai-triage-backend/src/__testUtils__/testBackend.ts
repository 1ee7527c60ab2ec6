import { BackendFeature } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Server } from 'node:http';
import { Knex } from 'knex';
import request from 'supertest';
import { aiTriagePlugin } from '../plugin';
import { serviceComponent } from './entities';
import { loadScenario } from './scenarios';

/** The checkout service of the example scenarios, as a catalog component. */
export const checkoutEntity: Entity = serviceComponent('checkout', {
  serviceName: 'checkout',
  owner: 'team-checkout',
});

/**
 * The plugin on a test backend: the given database, catalog entities (default: checkout) and
 * config, plus any extra features (services that replace the defaults, other plugins).
 */
export async function startAiTriageBackend(options: {
  knex: Knex;
  entities?: Entity[];
  config?: JsonObject;
  features?: BackendFeature[];
}): Promise<Server> {
  const { server } = await startTestBackend({
    features: [
      aiTriagePlugin,
      catalogServiceMock.factory({
        entities: options.entities ?? [checkoutEntity],
      }),
      mockServices.database.factory({ knex: options.knex }),
      ...(options.config
        ? [mockServices.rootConfig.factory({ data: options.config })]
        : []),
      ...(options.features ?? []),
    ],
  });
  return server;
}

/** An Alertmanager webhook with one firing HighErrorRate alert on checkout. */
export function firingAlertmanagerWebhook(): object {
  return {
    version: '4',
    status: 'firing',
    receiver: 'ai-triage',
    groupKey: '{}:{alertname="HighErrorRate"}',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HighErrorRate', service: 'checkout' },
        annotations: {},
        startsAt: new Date().toISOString(),
        fingerprint: 'f1',
      },
    ],
  };
}

/**
 * Sends an example scenario to the plugin as production does: its telemetry to the OTLP
 * receiver, then its Alertmanager webhook (firing since two minutes ago). Returns the incident.
 */
export async function deliverScenario(
  server: Server,
  name = 'checkout-payments-latency',
): Promise<string> {
  const nowMs = Date.now();
  const { alert, telemetry } = loadScenario(name, nowMs);
  for (const signal of ['traces', 'metrics', 'logs'] as const) {
    const res = await request(server)
      .post(`/api/ai-triage/otlp/v1/${signal}`)
      .set('authorization', mockCredentials.service.header())
      .send(telemetry[signal] as object);
    expect(res.status).toBe(200);
  }
  const startsAt = new Date(nowMs - 2 * 60_000).toISOString();
  const delivery = await request(server)
    .post('/api/ai-triage/webhooks/alertmanager')
    .set('authorization', mockCredentials.service.header())
    .send({
      ...alert,
      alerts: alert.alerts.map((a: object) => ({ ...a, startsAt })),
    });
  expect(delivery.status).toBe(202);
  return delivery.body.incidentIds[0] as string;
}

/** Polls `probe` until it returns a value other than undefined, and returns that value. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}
