import { AddressInfo } from 'node:net';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { JsonObject } from '@backstage/types';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import { aiTriagePlugin } from '../plugin';
import {
  LabReplay,
  loadExampleCatalog,
  loadLabRecording,
  replayLabRecording,
} from './labRecordings';

/**
 * How long an automatic re-triage waits in a replay. A replay posts a recording's requests as
 * fast as the backend takes them (about 3.5 minutes of telemetry in a few seconds, besides the
 * waits for triage after each webhook), some 20 to 40 times faster than they were sent; the
 * default 10 s debounce (two span export rounds) becomes about 0.5 s.
 */
export const LAB_RETRIAGE_DEBOUNCE_SECONDS = 0.5;

/**
 * The real plugin on a test backend listening on a loopback port, with the example catalog
 * (every lab service) and the given database: what a recording is replayed into. Automatic
 * re-triage (aiTriage.retriage) is on with the lab's debounce unless `autoRetriage` is false;
 * `config` adds to `aiTriage:` (its `retriage` section wins).
 */
export async function startLabBackend(
  knex: Knex,
  options: { config?: { aiTriage?: JsonObject }; autoRetriage?: boolean } = {},
) {
  const aiTriage = options.config?.aiTriage ?? {};
  const backend = await startTestBackend({
    features: [
      aiTriagePlugin,
      catalogServiceMock.factory({ entities: loadExampleCatalog() }),
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: {
          ...options.config,
          aiTriage: {
            retriage: {
              enabled: options.autoRetriage ?? true,
              debounceSeconds: LAB_RETRIAGE_DEBOUNCE_SECONDS,
            },
            ...aiTriage,
          },
        },
      }),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    /** What the backend's external-access callers (OTLP exporters, Alertmanager) send. */
    serviceAuthorization: mockCredentials.service.header(),
    userAuthorization: mockCredentials.user.header(),
    countJobs: async () => {
      const rows: Array<{ type: string; payload: string | null }> = await knex(
        'jobs',
      ).select('type', 'payload');
      return {
        enrich: rows.filter(r => r.type === 'enrich').length,
        autoRetriages: rows.filter(
          r => r.type === 'enrich' && r.payload?.includes('"trigger"'),
        ).length,
        reason: rows.filter(r => r.type === 'reason').length,
      };
    },
    stop: () => backend.stop(),
  };
}

/**
 * Replays one recording file into a fresh lab backend on `knex`, then stops the backend.
 *
 * With `retriage`, measures the reasoning apart from when telemetry arrives and from fault
 * grouping: grouping is off, and after the replay (settled, automatic re-triages included) every
 * incident is re-triaged once more by hand on the whole recording (its alerts' windows with all
 * their telemetry stored); the replay returns those triages.
 */
export async function replayRecordingFile(
  file: string,
  knex: Knex,
  options: {
    timeoutMs?: number;
    retriage?: boolean;
    /** Automatic re-triage (default on; see startLabBackend). */
    autoRetriage?: boolean;
  } = {},
): Promise<LabReplay> {
  const recording = loadLabRecording(file);
  const backend = await startLabBackend(knex, {
    autoRetriage: options.autoRetriage,
    ...(options.retriage
      ? { config: { aiTriage: { grouping: { enabled: false } } } }
      : {}),
  });
  try {
    const replay = await replayLabRecording(recording, {
      ...backend,
      timeoutMs: options.timeoutMs,
    });
    return options.retriage
      ? await retriageAll(replay, backend, options.timeoutMs ?? 60_000)
      : replay;
  } finally {
    await backend.stop();
  }
}

async function retriageAll(
  replay: LabReplay,
  backend: { baseUrl: string; userAuthorization: string },
  timeoutMs: number,
): Promise<LabReplay> {
  const headers = { authorization: backend.userAuthorization };
  const url = (id: string) =>
    `${backend.baseUrl}/api/ai-triage/incidents/${id}`;
  for (const { incident } of replay.incidents) {
    const res = await fetch(`${url(incident.id)}/retriage`, {
      method: 'POST',
      headers,
    });
    if (res.status !== 202)
      throw new Error(`re-triage of ${incident.id} answered ${res.status}`);
  }
  const deadline = Date.now() + timeoutMs;
  const incidents = [];
  for (const replayed of replay.incidents) {
    for (;;) {
      const res = await fetch(url(replayed.incident.id), { headers });
      const detail = (await res.json()) as IncidentDetailResponse;
      if (['triaged', 'failed'].includes(detail.incident.triageState)) {
        incidents.push({
          ...replayed,
          incident: detail.incident,
          hypotheses: detail.hypotheses,
          insufficientEvidence: detail.insufficientEvidence,
        });
        break;
      }
      if (Date.now() > deadline)
        throw new Error(`re-triage of ${replayed.incident.id} did not finish`);
      await new Promise(resolve => setTimeout(resolve, 25));
    }
  }
  return { ...replay, incidents };
}
