import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LoggerService } from '@backstage/backend-plugin-api';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { isLastAttempt, Job, JobQueue, JobType } from './JobQueue';
import { JobOutcome, PipelineMetrics } from '../observability/PipelineMetrics';
import {
  aiTriageTracer,
  contextFromTraceparent,
} from '../observability/tracing';

export type JobHandler = { handle(job: Job): Promise<void> };

/**
 * Runs jobs from the queue with a fixed number of loops. A loop that finds nothing sleeps until
 * the queue reports an enqueue (in this process, or on PostgreSQL in any replica through
 * `LISTEN`/`NOTIFY`) or, for retries and expired leases coming due, until the idle poll
 * interval passes. A pool given `types` claims only jobs of those types (one pool per stage, so
 * a slow reasoner never holds up enrichment).
 *
 * Each attempt runs in a `process {type}` consumer span whose parent is the span that queued
 * the job (the job row's `traceparent`), so webhook, enrich and reason form one trace whichever
 * process runs them; its duration, queue wait and outcome are recorded in `metrics`.
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
    handlers: Partial<Record<JobType, JobHandler>>;
    /** The job types this pool claims; default: those it has handlers for. */
    types?: readonly JobType[];
    onFailure?: (job: Job, error: Error) => Promise<void>;
    metrics?: PipelineMetrics;
    /**
     * Loops claiming any of `types`, or per type its own loops (so a slow stage never holds up
     * another).
     */
    concurrency: number | Partial<Record<JobType, number>>;
    leaseMs: number;
    idlePollMs?: number;
    logger: LoggerService;
  }): WorkerPool {
    return new WorkerPool(options);
  }

  private readonly types: readonly JobType[];

  private constructor(
    private readonly options: Parameters<typeof WorkerPool.create>[0],
  ) {
    this.types = options.types ?? (Object.keys(options.handlers) as JobType[]);
    const missing = this.types.filter(type => !options.handlers[type]);
    if (missing.length > 0) {
      throw new Error(`No handler for job type ${missing.join(', ')}`);
    }
  }

  start(): void {
    if (this.running) {
      return;
    }
    this.running = true;
    this.unsubscribe = this.options.queue.onEnqueued(() => this.wakeAll());
    const { concurrency } = this.options;
    const groups: Array<{ types: readonly JobType[]; loops: number }> =
      typeof concurrency === 'number'
        ? [{ types: this.types, loops: concurrency }]
        : this.types.map(type => ({
            types: [type],
            loops: concurrency[type] ?? 1,
          }));
    for (const group of groups) {
      for (let i = 0; i < group.loops; i++) {
        this.loops.push(
          this.loop(
            `${this.workerId}#${group.types.join('+')}${i}`,
            group.types,
          ),
        );
      }
      this.options.logger.info(
        `Started ${group.loops} AI triage workers for ${group.types.join(
          ', ',
        )} jobs`,
        { workerId: this.workerId },
      );
    }
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

  private async loop(
    workerId: string,
    types: readonly JobType[],
  ): Promise<void> {
    const { queue, leaseMs, idlePollMs = 1000, logger } = this.options;
    while (this.running) {
      let job: Job | undefined;
      try {
        job = await queue.claim(workerId, leaseMs, types);
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
    const { metrics } = this.options;
    const started = Date.now();
    metrics?.recordQueueWait(job.type, started - Date.parse(job.runAfter));
    const parent = contextFromTraceparent(job.traceparent);
    const span = aiTriageTracer().startSpan(
      `process ${job.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'ai_triage',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': job.type,
          'messaging.message.id': job.id,
          'messaging.client.id': workerId,
          'incident.id': job.incidentId,
          'job.type': job.type,
          'job.attempt': job.attempts,
          'job.max_attempts': job.maxAttempts,
        },
      },
      parent,
    );
    let failure: Error | undefined;
    try {
      await context.with(trace.setSpan(parent, span), () =>
        this.options.handlers[job.type]!.handle(job),
      );
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
      span.recordException(failure);
      span.setAttribute('error.type', failure.name || 'Error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    }
    const outcome = await this.recordOutcome(job, workerId, failure);
    if (outcome === 'done') {
      // The job may have queued the next stage's job: wake this process's idle loops for it
      // (other processes wake through LISTEN/NOTIFY on PostgreSQL).
      this.wakeAll();
    }
    span.setAttribute('job.outcome', outcome);
    span.end();
    metrics?.recordJob(job.type, outcome, Date.now() - started);
    const triageMs = Date.now() - Date.parse(job.triageStartedAt);
    if (outcome === 'dead' && job.type !== 'deliver') {
      // A dead delivery is not a failed triage.
      metrics?.recordTriage('failed', triageMs);
    } else if (outcome === 'done' && job.type === 'reason') {
      metrics?.recordTriage('triaged', triageMs);
    }
  }

  private async recordOutcome(
    job: Job,
    workerId: string,
    failure: Error | undefined,
  ): Promise<JobOutcome> {
    const { queue, onFailure, logger } = this.options;
    const log = logger.child({
      jobId: job.id,
      jobType: job.type,
      incidentId: job.incidentId,
    });
    try {
      if (!failure) {
        if (!(await queue.complete(job, workerId))) {
          log.warn(
            'Job finished after its lease was taken over; the other run wins',
          );
          return 'lease_lost';
        }
        return 'done';
      }
      log.warn(
        `Job attempt ${job.attempts}/${job.maxAttempts} failed: ${failure.message}`,
      );
      await queue.fail(job, workerId, failure);
      if (isLastAttempt(job, failure)) {
        await onFailure?.(job, failure);
        return 'dead';
      }
      return 'retry';
    } catch (error) {
      log.error(
        'Could not record the outcome of the job; it runs again once its lease expires',
        { error: String(error) },
      );
      return 'unrecorded';
    }
  }
}
