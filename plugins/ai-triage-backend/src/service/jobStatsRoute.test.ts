import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { aiTriagePlugin } from '../plugin';
import { createTestDatabases } from '../__testUtils__/testDatabases';

jest.setTimeout(60_000);

describe('GET /jobs/stats', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'reports queued jobs per kind on a replica whose workers are off, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startTestBackend({
        features: [
          aiTriagePlugin,
          catalogServiceMock.factory({ entities: [] }),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: { aiTriage: { workers: { enabled: false } } },
          }),
        ],
      });
      const delivered = await request(server)
        .post('/api/ai-triage/webhooks/alertmanager')
        .set('Authorization', mockCredentials.service.header())
        .send({
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
        });
      expect(delivered.status).toBe(202);

      const res = await request(server)
        .get('/api/ai-triage/jobs/stats')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        depth: 1,
        dead: 0,
        counts: [{ type: 'enrich', status: 'queued', count: 1 }],
      });
      expect(res.body.oldestAgeMsByType.enrich).toBeGreaterThanOrEqual(0);
    },
  );
});
