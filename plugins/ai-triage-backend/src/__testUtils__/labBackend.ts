import { AddressInfo } from 'node:net';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
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
export async function startLabBackend(knex: Knex) {
  const backend = await startTestBackend({
    features: [
      aiTriagePlugin,
      catalogServiceMock.factory({ entities: loadExampleCatalog() }),
      mockServices.database.factory({ knex }),
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

/** Replays one recording file into a fresh lab backend on `knex`, then stops the backend. */
export async function replayRecordingFile(
  file: string,
  knex: Knex,
  options: { timeoutMs?: number } = {},
): Promise<LabReplay> {
  const recording = loadLabRecording(file);
  const backend = await startLabBackend(knex);
  try {
    return await replayLabRecording(recording, { ...backend, ...options });
  } finally {
    await backend.stop();
  }
}
