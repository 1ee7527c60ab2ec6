import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { DatabaseRetention } from '../retention/DatabaseRetention';
import { DatabaseTelemetryStore } from '../telemetry/DatabaseTelemetryStore';
import { IncidentLinker } from '../ingest/IncidentLinker';

/**
 * The pipeline's background tasks, on the scheduler (so one replica runs each at a time):
 * retention of incidents and their rows (hourly), of embedded telemetry (every 10 minutes),
 * and linking incidents whose service the catalog did not know yet (every minute).
 */
export async function scheduleMaintenance(options: {
  scheduler: SchedulerService;
  logger: LoggerService;
  retention: DatabaseRetention;
  telemetry: DatabaseTelemetryStore;
  telemetryRetentionMs: number;
  linker: IncidentLinker;
}): Promise<void> {
  const { scheduler, logger, retention, telemetry, linker } = options;
  await scheduler.scheduleTask({
    id: 'ai-triage-retention',
    frequency: { hours: 1 },
    timeout: { minutes: 15 },
    fn: async () => void (await retention.run()),
  });
  await scheduler.scheduleTask({
    id: 'ai-triage-telemetry-retention',
    frequency: { minutes: 10 },
    timeout: { minutes: 5 },
    fn: async () => {
      const purged = await telemetry.purgeOlderThan(
        Date.now() - options.telemetryRetentionMs,
      );
      if (purged > 0) {
        logger.info(`Purged ${purged} telemetry records past retention`);
      }
    },
  });
  await scheduler.scheduleTask({
    id: 'ai-triage-link-incidents',
    frequency: { minutes: 1 },
    timeout: { minutes: 1 },
    fn: async () => {
      await linker.linkUnlinkedIncidents();
    },
  });
}
