import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Job, JobQueue, JobType } from '../database/JobQueue';

export type JobHandler = { handle(job: Job): Promise<void> };

/**
 * Runs jobs from the queue with a fixed number of loops. A loop that finds nothing sleeps until
 * the queue reports an enqueue (in this process, or on PostgreSQL in any replica through
 * `LISTEN`/`NOTIFY`) or, for retries and expired leases coming due, until the idle poll
 * interval passes.
 */
export class WorkerPool {
  private readonly workerId = `${hostname()}:${
    process.pid
  }:${randomUUID().slice(0, 8)}`;
  private running = false;
  private wakeUps: Array<() => void> = [];
  private loops: Promise<void>[] = [];
  private unsubscribe?: () => Promise<void>;

  static create(options: {
    queue: JobQueue;
    handlers: Record<JobType, JobHandler>;
    onFailure?: (job: Job, error: Error) => Promise<void>;
    concurrency: number;
    leaseMs: number;
    idlePollMs?: number;
    logger: LoggerService;
  }): WorkerPool {
    return new WorkerPool(options);
  }

  private constructor(
    private readonly options: Parameters<typeof WorkerPool.create>[0],
  ) {}

  start(): void {
    if (this.running) {
      return;
    }
    this.running = true;
    this.unsubscribe = this.options.queue.onEnqueued(() => this.wakeAll());
    for (let i = 0; i < this.options.concurrency; i++) {
      this.loops.push(this.loop(`${this.workerId}#${i}`));
    }
    this.options.logger.info(
      `Started ${this.options.concurrency} AI triage workers`,
      {
        workerId: this.workerId,
      },
    );
  }

  /** Stops claiming and waits for the jobs in flight to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeAll();
    await Promise.all([this.unsubscribe?.(), ...this.loops]);
    this.unsubscribe = undefined;
    this.loops = [];
  }

  private wakeAll(): void {
    const wakeUps = this.wakeUps;
    this.wakeUps = [];
    wakeUps.forEach(wake => wake());
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running) {
      return Promise.resolve();
    }
    return new Promise(resolve => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUps.push(done);
    });
  }

  private async loop(workerId: string): Promise<void> {
    const { queue, leaseMs, idlePollMs = 1000, logger } = this.options;
    while (this.running) {
      let job: Job | undefined;
      try {
        job = await queue.claim(workerId, leaseMs);
      } catch (error) {
        logger.error('Claiming a job failed', { error: String(error) });
        await this.sleep(idlePollMs);
        continue;
      }
      if (!job) {
        await this.sleep(idlePollMs);
        continue;
      }
      await this.run(job, workerId);
    }
  }

  /**
   * Runs one job and records its outcome. Never throws: when recording the outcome fails (the
   * database is briefly unreachable), the error is logged and the job's lease expires, so it runs
   * again (handlers are idempotent); the loop goes on with the next job.
   */
  private async run(job: Job, workerId: string): Promise<void> {
    const { queue, handlers, onFailure, logger } = this.options;
    const log = logger.child({
      jobId: job.id,
      jobType: job.type,
      incidentId: job.incidentId,
    });
    let failure: Error | undefined;
    try {
      await handlers[job.type].handle(job);
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
    }
    try {
      if (!failure) {
        if (!(await queue.complete(job, workerId))) {
          log.warn(
            'Job finished after its lease was taken over; the other run wins',
          );
        }
        return;
      }
      log.warn(
        `Job attempt ${job.attempts}/${job.maxAttempts} failed: ${failure.message}`,
      );
      await queue.fail(job, workerId, failure);
      if (job.attempts >= job.maxAttempts) {
        await onFailure?.(job, failure);
      }
    } catch (error) {
      log.error(
        'Could not record the outcome of the job; it runs again once its lease expires',
        { error: String(error) },
      );
    }
  }
}
