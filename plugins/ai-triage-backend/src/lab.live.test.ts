import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  IncidentDetailResponse,
  IncidentListResponse,
} from '@ai-triage/plugin-ai-triage-common';
import knexFactory from 'knex';
import { startLabBackend } from './__testUtils__/labBackend';

jest.setTimeout(240_000);

const runScript = path.resolve(
  resolvePackagePath('@ai-triage/plugin-ai-triage-backend'),
  '../../examples/lab/run.mjs',
);
const missing = ['prometheus', 'prometheus-alertmanager', 'openssl'].filter(
  command => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0,
);
if (missing.length > 0 && process.env.CI) {
  throw new Error(
    `${missing.join(
      ', ',
    )} not installed: CI runs the live lab test (.ci/run installs them)`,
  );
}
const describeLive = missing.length > 0 ? describe.skip : describe;

/*
 * One short lab scenario end to end: the shop's really instrumented services, a real
 * Prometheus evaluating the shop's alert rules, a real Alertmanager posting to the plugin's
 * webhook with a bearer token, OTLP from the services into the plugin's receiver.
 */
describeLive('the lab, live', () => {
  it('turns a carrier outage into alerts, incidents and triages through real Prometheus and Alertmanager', async () => {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    const backend = await startLabBackend(knex);
    try {
      const token = backend.serviceAuthorization.replace(/^Bearer /, '');
      const child = spawn(
        process.execPath,
        [
          runScript,
          'carrier-down',
          '--target',
          backend.baseUrl,
          '--token',
          token,
          '--healthy',
          '15',
          '--fault',
          '40',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', chunk => (output += chunk));
      child.stderr.on('data', chunk => (output += chunk));
      const code = await new Promise<number | null>(resolve =>
        child.on('exit', resolve),
      );
      // Exit 0: the run finished and the backend accepted every OTLP export and webhook.
      expect({ code, output }).toMatchObject({ code: 0 });

      const list = (await (
        await fetch(`${backend.baseUrl}/api/ai-triage/incidents`, {
          headers: { authorization: backend.userAuthorization },
        })
      ).json()) as IncidentListResponse;
      expect(list.items.length).toBeGreaterThanOrEqual(1);
      // The outage shows on shipping or the services that call it.
      expect(
        list.items.some(i =>
          ['shipping', 'checkout', 'storefront'].includes(i.serviceName),
        ),
      ).toBe(true);
      for (const item of list.items) {
        let detail: IncidentDetailResponse;
        const deadline = Date.now() + 60_000;
        do {
          await new Promise(resolve => setTimeout(resolve, 100));
          detail = (await (
            await fetch(
              `${backend.baseUrl}/api/ai-triage/incidents/${item.id}`,
              {
                headers: { authorization: backend.userAuthorization },
              },
            )
          ).json()) as IncidentDetailResponse;
        } while (
          detail.incident.triageState !== 'triaged' &&
          Date.now() < deadline
        );
        expect(detail.incident.triageState).toBe('triaged');
        expect(detail.alerts[0].source).toBe('alertmanager');
        expect(detail.alerts[0].labels.alertname).toMatch(/^[A-Z]/);
      }

      // Every instrumented service's spans reached the receiver.
      const services = await knex('telemetry_spans').distinct('service_name');
      expect(services.map(s => s.service_name).sort()).toEqual(
        expect.arrayContaining([
          'checkout',
          'inventory',
          'payments',
          'shipping',
          'storefront',
        ]),
      );
    } finally {
      await backend.stop();
      await knex.destroy();
    }
  });
});
