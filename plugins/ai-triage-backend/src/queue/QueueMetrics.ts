import { LoggerService } from '@backstage/backend-plugin-api';
import { BatchObservableCallback, Meter } from '@opentelemetry/api';
import { JobQueue, JobStatus, JobType } from './JobQueue';

const JOB_TYPES: JobType[] = ['enrich', 'reason', 'deliver'];
const COUNTED_STATUSES: Array<Exclude<JobStatus, 'done'>> = [
  'queued',
  'running',
  'dead',
];

/**
 * Exports the queue as OpenTelemetry observable gauges, read from the database at each collection:
 * `ai_triage.queue.depth` (jobs per `job.type` and `job.status`, done jobs left out) and
 * `ai_triage.queue.oldest_age` (seconds the oldest waiting job of each `job.type` has waited).
 * Both are database-wide: every replica reports the same values, so aggregate them with `max`.
 */
export class QueueMetrics {
  static register(options: {
    queue: JobQueue;
    meter: Meter;
    logger: LoggerService;
  }): QueueMetrics {
    return new QueueMetrics(options.queue, options.meter, options.logger);
  }

  private readonly callback: BatchObservableCallback;
  private readonly depth;
  private readonly oldestAge;

  private constructor(
    queue: JobQueue,
    private readonly meter: Meter,
    logger: LoggerService,
  ) {
    this.depth = meter.createObservableGauge('ai_triage.queue.depth', {
      description:
        'AI triage jobs per kind and status (queued, running, dead); database-wide',
      unit: '{job}',
    });
    this.oldestAge = meter.createObservableGauge('ai_triage.queue.oldest_age', {
      description:
        'Age of the oldest waiting AI triage job per kind (0 when none waits); database-wide',
      unit: 's',
    });
    this.callback = async observer => {
      let stats;
      try {
        stats = await queue.stats();
      } catch (error) {
        logger.warn('Reading the queue for its metrics failed', {
          error: String(error),
        });
        return;
      }
      for (const type of JOB_TYPES) {
        for (const status of COUNTED_STATUSES) {
          const row = stats.counts.find(
            c => c.type === type && c.status === status,
          );
          observer.observe(this.depth, row?.count ?? 0, {
            'job.type': type,
            'job.status': status,
          });
        }
        observer.observe(
          this.oldestAge,
          (stats.oldestAgeMsByType[type] ?? 0) / 1000,
          { 'job.type': type },
        );
      }
    };
    meter.addBatchObservableCallback(this.callback, [
      this.depth,
      this.oldestAge,
    ]);
  }

  /** Stops reporting. */
  unregister(): void {
    this.meter.removeBatchObservableCallback(this.callback, [
      this.depth,
      this.oldestAge,
    ]);
  }
}
