/** The stages the queue drives: triage (enrich, reason) and outbound deliveries (deliver). */
export type JobType = 'enrich' | 'reason' | 'deliver';

/** Every job type, in pipeline order. */
export const JOB_TYPES: readonly JobType[] = ['enrich', 'reason'];

export type JobStatus = 'queued' | 'running' | 'done' | 'dead';

export type Job = {
  id: string;
  type: JobType;
  incidentId: string;
  /** The input of a `deliver` job (see `outbound/`); null for triage jobs. */
  payload?: unknown;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  runAfter: string;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  /** W3C traceparent of the span that queued the job; its worker's span continues that trace. */
  traceparent: string | null;
  /** When the triage this job belongs to began (the alert's acceptance, or a re-triage). */
  triageStartedAt: string;
};

export type QueueStats = {
  /** Jobs waiting to run (queued, or running with an expired lease). */
  depth: number;
  /** Age in milliseconds of the oldest waiting job, 0 when none waits. */
  oldestAgeMs: number;
  dead: number;
  /** Jobs per kind and status; done jobs are left out (they only accumulate). */
  counts: Array<{
    type: JobType;
    status: Exclude<JobStatus, 'done'>;
    count: number;
  }>;
  /** Per kind with a waiting job: age in milliseconds of its oldest waiting job. */
  oldestAgeMsByType: Partial<Record<JobType, number>>;
};

/**
 * A failure that retrying cannot fix (a receiver's permanent 4xx answer): the job is dead after
 * this attempt instead of being retried.
 */
export class PermanentJobError extends Error {
  name = 'PermanentJobError';
}

/** Whether a failed attempt is the job's last: it used all its attempts, or cannot succeed. */
export function isLastAttempt(job: Job, error: Error): boolean {
  return job.attempts >= job.maxAttempts || error instanceof PermanentJobError;
}

/**
 * A durable job queue: claimed jobs are leased, an expired lease returns the job to the queue,
 * failures back off with jitter and a job that used all its attempts is dead.
 */
export interface JobQueue {
  /**
   * Claims the next runnable job for `workerId`, or undefined when none is runnable; only jobs
   * of `types` when given (a process that runs some stages only).
   */
  claim(
    workerId: string,
    leaseMs: number,
    types?: readonly JobType[],
  ): Promise<Job | undefined>;
  /** Marks a claimed job done; false when the lease was lost to another worker. */
  complete(job: Job, workerId: string): Promise<boolean>;
  /**
   * Records a failed attempt: retried later with backoff, or dead after the last attempt or a
   * PermanentJobError.
   */
  fail(job: Job, workerId: string, error: Error): Promise<void>;
  listJobs(filter: {
    status?: JobStatus;
    incidentId?: string;
    limit: number;
  }): Promise<Job[]>;
  stats(): Promise<QueueStats>;
  /**
   * Calls `listener` whenever a job may have been enqueued: in this process, and on PostgreSQL
   * in any process sharing the database (`LISTEN`/`NOTIFY`). Returns the unsubscribe function,
   * which resolves once the last subscriber's listening connection is closed.
   */
  onEnqueued(listener: () => void): () => Promise<void>;
  /** Tells this process's workers that jobs were enqueued. */
  notifyEnqueued(): void;
}
