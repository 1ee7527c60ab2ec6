import { mockServices } from '@backstage/backend-test-utils';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { applyDatabaseMigrations } from '../database/migrations';
import { DatabaseJobQueue, insertJob } from './DatabaseJobQueue';
import { QueueMetrics } from './QueueMetrics';

jest.setTimeout(60_000);

/** A pull reader: the test decides when the SDK collects, as a Prometheus scrape would. */
class PullReader extends MetricReader {
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

describe('QueueMetrics', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'exports queue depth per kind and status and the oldest waiting age through the OTel SDK, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const queue = DatabaseJobQueue.create({ knex });
      const reader = new PullReader();
      const provider = new MeterProvider({ readers: [reader] });
      const metrics = QueueMetrics.register({
        queue,
        meter: provider.getMeter('test'),
        logger: mockServices.logger.mock(),
      });

      await knex.transaction(async tx => {
        for (const [type, incidentId] of [
          ['enrich', 'i1'],
          ['enrich', 'i2'],
          ['enrich', 'i3'],
          ['reason', 'i1'],
        ] as const) {
          await insertJob(tx, { type, incidentId, maxAttempts: 1 });
        }
      });
      const tenMinutesAgo = new Date(Date.now() - 600_000);
      await knex('jobs')
        .where({ type: 'enrich', incident_id: 'i1' })
        .update({ created_at: tenMinutesAgo });
      const running = await queue.claim('w1', 60_000); // enrich i1, the oldest
      expect(running?.incidentId).toBe('i1');
      const doomed = await queue.claim('w1', 60_000);
      await queue.fail(doomed!, 'w1', new Error('boom')); // one attempt: dead

      const { resourceMetrics, errors } = await reader.collect();
      expect(errors).toEqual([]);
      const exported = resourceMetrics.scopeMetrics.flatMap(s => s.metrics);
      const depth = exported.find(
        m => m.descriptor.name === 'ai_triage.queue.depth',
      )!;
      expect(depth.dataPointType).toBe(DataPointType.GAUGE);
      expect(depth.descriptor.unit).toBe('{job}');
      const points = Object.fromEntries(
        depth.dataPoints.map(p => [
          `${p.attributes['job.type']}/${p.attributes['job.status']}`,
          p.value,
        ]),
      );
      expect(points).toEqual({
        'enrich/queued': 1,
        'enrich/running': 1,
        'enrich/dead': 1,
        'reason/queued': 1,
        'reason/running': 0,
        'reason/dead': 0,
        'deliver/queued': 0,
        'deliver/running': 0,
        'deliver/dead': 0,
      });

      const age = exported.find(
        m => m.descriptor.name === 'ai_triage.queue.oldest_age',
      )!;
      expect(age.descriptor.unit).toBe('s');
      const ages = Object.fromEntries(
        age.dataPoints.map(p => [p.attributes['job.type'], p.value as number]),
      );
      // The ten-minute-old job runs under a live lease, so it no longer waits.
      expect(ages.enrich).toBeLessThan(60);
      expect(ages.reason).toBeLessThan(60);

      await knex('jobs')
        .where({ type: 'reason' })
        .update({ created_at: tenMinutesAgo });
      const later = await reader.collect();
      const laterAge = later.resourceMetrics.scopeMetrics
        .flatMap(s => s.metrics)
        .find(m => m.descriptor.name === 'ai_triage.queue.oldest_age')!;
      const reasonAge = laterAge.dataPoints.find(
        p => p.attributes['job.type'] === 'reason',
      )!.value as number;
      expect(reasonAge).toBeGreaterThanOrEqual(600);
      expect(reasonAge).toBeLessThan(700);

      metrics.unregister();
      await provider.shutdown();
    },
  );
});
