import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import { startLabBackend } from '../__testUtils__/labBackend';
import {
  labRecordingsDir,
  loadLabRecording,
  replayLabRecording,
} from '../__testUtils__/labRecordings';

jest.setTimeout(120_000);

/*
 * A pool wait is read from what holds the pool's connections, on the telemetry the
 * OpenTelemetry SDK's pg instrumentation really emits (the lab's recordings): in both
 * recordings inventory's requests wait 1.5 s for a connection and fail, and its `pg-pool.connect`
 * client spans to orders-db look like a slow database. A leaked connection leaves the queries
 * fast: the wait is inventory's own. A lock held in the database makes the queries that hold
 * the connections slow: the database fills the pool (Little's law), and is the origin.
 */
describe('pool waits on the lab recordings', () => {
  let knex: Knex;
  beforeEach(() => {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
  });
  afterEach(async () => {
    await knex.destroy();
  });

  async function localizations(scenario: string) {
    const recording = loadLabRecording(
      path.join(labRecordingsDir, `${scenario}.json.gz`),
    );
    const backend = await startLabBackend(knex);
    try {
      const replay = await replayLabRecording(recording, backend);
      return await Promise.all(
        replay.incidents.map(async ({ incident }) => {
          const res = await fetch(
            `${backend.baseUrl}/api/ai-triage/incidents/${incident.id}`,
            { headers: { authorization: backend.userAuthorization } },
          );
          const detail = (await res.json()) as IncidentDetailResponse;
          return {
            service: incident.serviceName,
            localization: detail.context?.localization,
            top: detail.hypotheses[0],
          };
        }),
      );
    } finally {
      await backend.stop();
    }
  }

  it('blames a leaked connection on the service whose pool it is, though its pool waits look like a slow database', async () => {
    const results = await localizations('inventory-pool-leak');
    expect(results.length).toBeGreaterThanOrEqual(3);
    for (const { localization, top } of results) {
      expect(localization?.origin).toBe('inventory');
      expect(localization?.suspects[0]).toMatchObject({
        service: 'inventory',
        kind: 'resource-wait',
      });
      expect(top).toMatchObject({ origin: 'inventory', kind: 'resource-wait' });
    }
  });

  it('blames a lock in the database on the database, whose slow queries hold the pool of the service that waits', async () => {
    const results = await localizations('orders-db-lock');
    expect(results.length).toBeGreaterThanOrEqual(3);
    for (const { localization, top } of results) {
      expect(localization?.origin).toBe('orders-db');
      expect(localization?.path).toEqual(['inventory', 'orders-db']);
      expect(top).toMatchObject({ origin: 'orders-db' });
    }
  });
});
