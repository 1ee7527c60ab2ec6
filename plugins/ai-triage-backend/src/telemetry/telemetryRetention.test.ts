import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { SchedulerServiceTaskScheduleDefinition } from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { aiTriagePlugin } from '../plugin';
import { createTestDatabases } from '../__testUtils__/testDatabases';

jest.setTimeout(60_000);

const HOUR = 3_600_000;

function spansAt(times: number[]) {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'checkout' } },
          ],
        },
        scopeSpans: [
          {
            spans: times.map((ms, i) => ({
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: `00000000000000${String(i).padStart(2, '0')}`,
              name: 'GET /cart',
              kind: 2,
              startTimeUnixNano: `${BigInt(ms) * 1_000_000n}`,
              endTimeUnixNano: `${BigInt(ms + 5) * 1_000_000n}`,
            })),
          },
        ],
      },
    ],
  };
}

/** The retention the plugin schedules: telemetry older than retentionHours goes, newer stays. */
describe('telemetry retention', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'is a scheduled task that purges records past aiTriage.telemetry.retentionHours, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const scheduler = mockServices.scheduler.mock();
      const { server } = await startTestBackend({
        features: [
          aiTriagePlugin,
          catalogServiceMock.factory({ entities: [] }),
          mockServices.database.factory({ knex }),
          scheduler.factory,
          mockServices.rootConfig.factory({
            data: {
              aiTriage: {
                workers: { enabled: false },
                telemetry: { retentionHours: 24 },
              },
            },
          }),
        ],
      });
      const nowMs = Date.now();
      const stored = await request(server)
        .post('/api/ai-triage/otlp/v1/traces')
        .set('authorization', mockCredentials.service.header())
        .send(spansAt([nowMs - 30 * HOUR, nowMs - 25 * HOUR, nowMs - HOUR]));
      expect(stored.status).toBe(200);

      const task = scheduler.scheduleTask.mock.calls
        .map(([definition]) => definition)
        .find(
          (
            definition: SchedulerServiceTaskScheduleDefinition & { id: string },
          ) => definition.id === 'ai-triage-telemetry-retention',
        );
      expect(task).toBeDefined();
      expect(task!.frequency).toEqual({ minutes: 10 });
      await task!.fn(new AbortController().signal);

      const left = await knex('telemetry_spans').select('start_time_ms');
      expect(left.map(row => Number(row.start_time_ms))).toEqual([
        nowMs - HOUR,
      ]);
    },
  );
});
