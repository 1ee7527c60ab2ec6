import { LoggerService } from '@backstage/backend-plugin-api';
import { RetriageStore, TelemetryArrival } from '../database/RetriageStore';
import { TelemetryBatch, TelemetryStore } from '../telemetry/TelemetryStore';

/** The latest record per service and signal of a batch. */
export function arrivalsOf(batch: TelemetryBatch): TelemetryArrival[] {
  const latest = new Map<string, TelemetryArrival>();
  const note = (
    serviceName: string,
    signal: TelemetryArrival['signal'],
    ms: number,
  ) => {
    const key = `${serviceName}\n${signal}`;
    const known = latest.get(key);
    if (!known || known.latestMs < ms)
      latest.set(key, { serviceName, signal, latestMs: ms });
  };
  for (const span of batch.spans ?? [])
    note(span.serviceName, 'spans', span.startTimeMs);
  for (const point of batch.metrics ?? [])
    note(point.serviceName, 'metrics', point.timestampMs);
  for (const log of batch.logs ?? [])
    note(log.serviceName, 'logs', log.timestampMs);
  return [...latest.values()];
}

/**
 * The embedded store, telling the re-triage watch what arrived once it is stored: an incident
 * whose context lacked this service's signal in its window is re-triaged (a delayed `enrich`
 * job, see RetriageStore). A failure of the watch is logged, never the exporter's problem: the
 * records are stored.
 */
export function watchTelemetryArrivals<T extends TelemetryStore>(
  store: T,
  retriage: RetriageStore,
  logger: LoggerService,
): T {
  const ingest = store.ingest.bind(store);
  return Object.assign(Object.create(store), {
    async ingest(batch: TelemetryBatch) {
      const result = await ingest(batch);
      try {
        const queued = await retriage.telemetryArrived(arrivalsOf(batch));
        if (queued.length > 0)
          logger.info(
            `Telemetry the triage of incident(s) ${queued.join(
              ', ',
            )} lacked arrived: re-triage queued`,
          );
      } catch (error) {
        logger.warn('Could not check arrived telemetry against re-triage', {
          error: String(error),
        });
      }
      return result;
    },
  }) as T;
}
