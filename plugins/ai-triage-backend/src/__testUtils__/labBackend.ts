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
 * The real plugin on a test backend listening on a loopback port, with the example catalog
 * (every lab service) and the given database: what a recording is replayed into.
 */
export async function startLabBackend(
  knex: Knex,
  options: { config?: JsonObject } = {},
) {
  const backend = await startTestBackend({
    features: [
      aiTriagePlugin,
      catalogServiceMock.factory({ entities: loadExampleCatalog() }),
      mockServices.database.factory({ knex }),
      ...(options.config
        ? [mockServices.rootConfig.factory({ data: options.config })]
        : []),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    /** What the backend's external-access callers (OTLP exporters, Alertmanager) send. */
    serviceAuthorization: mockCredentials.service.header(),
    userAuthorization: mockCredentials.user.header(),
    stop: () => backend.stop(),
  };
}

/**
 * Replays one recording file into a fresh lab backend on `knex`, then stops the backend.
 *
 * With `retriage`, measures the reasoning apart from when telemetry arrives and from fault
 * grouping: grouping is off, and after the replay every incident is re-triaged once on the whole
 * recording (its alerts' windows with all their telemetry stored); the replay returns those
 * triages.
 */
export async function replayRecordingFile(
  file: string,
  knex: Knex,
  options: { timeoutMs?: number; retriage?: boolean } = {},
): Promise<LabReplay> {
  const recording = loadLabRecording(file);
  const backend = await startLabBackend(
    knex,
    options.retriage
      ? { config: { aiTriage: { grouping: { enabled: false } } } }
      : {},
  );
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
