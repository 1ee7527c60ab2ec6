import { EventEmitter } from 'node:events';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import {
  isLastAttempt,
  Job,
  JobQueue,
  JobStatus,
  JobType,
  QueueStats,
} from './JobQueue';
import { isPostgres } from '../sql/isPostgres';
import { PostgresNotificationListener } from './PostgresNotificationListener';
import { toIso } from '../sql/timestamps';
import { JobRow, toJob } from './jobRows';
import { Span, SpanKind, context, trace } from '@opentelemetry/api';
import {
  aiTriageTracer,
  endWithError,
  traceparentOf,
} from '../observability/tracing';

const BASE_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** The PostgreSQL channel an enqueue notifies, so workers of every replica wake at once. */
export const JOBS_CHANNEL = 'ai_triage_jobs';

type NewJob = {
  type: JobType;
  incidentId: string;
  maxAttempts: number;
  /** Not claimed before this instant (default: at once). */
  runAfter?: Date;
  /**
   * The job whose handler queues this one (the enrich job queueing its reason job): the new job
   * belongs to the same triage, so it keeps that triage's start and, when no span is active
   * here, its trace.
   */
  followsJobId?: string;
  /** Stored as JSON; the input of a `deliver` job. */
  payload?: unknown;
};

/**
 * Adds a job inside the caller's transaction, so the job exists exactly when the data it works
 * on does. The job carries the W3C traceparent of the span active here (the webhook request,
 * the worker's span of the job it follows), so its worker continues the same trace. Used by the other Database* stores. On PostgreSQL a trigger on `jobs` (migration
 * `20261124000500_queue`) notifies {@link JOBS_CHANNEL} in the same transaction; PostgreSQL
 * delivers it on commit, drops it on rollback and folds repeats of one transaction into one.
 */
export async function insertJob(
  tx: Knex.Transaction,
  job: NewJob,
): Promise<void> {
  await insertJobs(tx, [job]);
}

/** {@link insertJob} for several jobs, in one statement. */
export async function insertJobs(
  tx: Knex.Transaction,
  jobs: NewJob[],
): Promise<void> {
  if (jobs.length === 0) {
    return;
  }
  const now = new Date();
  const followed = new Map<
    string,
    Pick<JobRow, 'traceparent' | 'triage_started_at' | 'created_at'>
  >();
  const followsIds = [
    ...new Set(
      jobs.flatMap(job => (job.followsJobId ? [job.followsJobId] : [])),
    ),
  ];
  if (followsIds.length > 0) {
    const rows: Array<
      Pick<JobRow, 'id' | 'traceparent' | 'triage_started_at' | 'created_at'>
    > = await tx('jobs')
      .whereIn('id', followsIds)
      .select('id', 'traceparent', 'triage_started_at', 'created_at');
    rows.forEach(row => followed.set(String(row.id), row));
  }
  const span = startSendSpan(jobs, tx);
  const traceparent = span
    ? traceparentOf(trace.setSpan(context.active(), span))
    : null;
  try {
    await tx('jobs').insert(
      jobs.map(job => {
        const previous = job.followsJobId
          ? followed.get(job.followsJobId)
          : undefined;
        return {
          type: job.type,
          incident_id: job.incidentId,
          ...(job.payload === undefined
            ? {}
            : { payload: JSON.stringify(job.payload) }),
          status: 'queued',
          attempts: 0,
          max_attempts: job.maxAttempts,
          run_after: job.runAfter ?? now,
          created_at: now,
          updated_at: now,
          traceparent: traceparent ?? previous?.traceparent ?? null,
          triage_started_at: previous
            ? new Date(toIso(previous.triage_started_at ?? previous.created_at))
            : now,
        };
      }),
    );
  } catch (error) {
    if (span) {
      endWithError(span, error);
    }
    throw error;
  }
  span?.end();
}

/**
 * A `send {type}` producer span (messaging semantic conventions) under the active span, whose
 * context the new job rows carry; none when no span is active (nothing to continue).
 */
function startSendSpan(jobs: NewJob[], tx: Knex.Transaction): Span | undefined {
  if (!trace.getActiveSpan()) {
    return undefined;
  }
  const types = [...new Set(jobs.map(job => job.type))].join(',');
  const incidents = [...new Set(jobs.map(job => job.incidentId))];
  return aiTriageTracer().startSpan(`send ${types}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'ai_triage',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': types,
      'messaging.batch.message_count': jobs.length,
      'db.system.name': isPostgres(tx) ? 'postgresql' : 'sqlite',
      'db.collection.name': 'jobs',
      'db.operation.name': 'INSERT',
      ...(incidents.length === 1 ? { 'incident.id': incidents[0] } : {}),
    },
  });
}

/** Exponential backoff with full jitter: uniform in [base/2, base], base doubling per attempt. */
export function backoffMs(
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(
    MAX_BACKOFF_MS,
    BASE_BACKOFF_MS * 2 ** Math.max(0, attempt - 1),
  );
  return Math.round(base / 2 + (random() * base) / 2);
}

/** What the queue calls, inside its transaction `tx`, when it marks a job dead at `at`. */
export type DeadLetterHook = (
  job: Job,
  tx: Knex.Transaction,
  at: Date,
) => Promise<void>;

/**
 * The job table as a queue. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so any number of
 * replicas share the work; SQLite serializes writers, so one process claims at a time.
 */
export class DatabaseJobQueue implements JobQueue {
  private readonly events = new EventEmitter();
  private readonly listener?: PostgresNotificationListener;

  static create(options: {
    knex: Knex;
    logger?: LoggerService;
    /**
     * Called in the claim's transaction when a job's lease expires on its last attempt and the
     * queue marks it dead: nobody is left to report the failure (the worker died), so the owner
     * of the job's subject records it here, in the same transaction. The queue writes only
     * `jobs`; the pipeline factory sets this so the incident store fails the incident's triage.
     */
    onDeadLetter?: DeadLetterHook;
  }): DatabaseJobQueue {
    return new DatabaseJobQueue(
      options.knex,
      options.logger,
      options.onDeadLetter,
    );
  }

  private constructor(
    private readonly knex: Knex,
    logger?: LoggerService,
    private readonly onDeadLetter?: DeadLetterHook,
  ) {
    this.events.setMaxListeners(0);
    if (isPostgres(knex)) {
      this.listener = PostgresNotificationListener.create({
        knex,
        channel: JOBS_CHANNEL,
        onNotify: () => this.notifyEnqueued(),
        logger,
      });
    }
  }

  /**
   * On PostgreSQL one statement claims the next job (`UPDATE … WHERE id = (SELECT … FOR UPDATE
   * SKIP LOCKED) RETURNING *`): one round trip instead of the four of a transaction, which
   * under load is most of a claim's time (`npm run bench:pipeline`). When it finds nothing, the
   * transactional path below runs, which also fails jobs whose lease expired on their last
   * attempt (the one-statement claim leaves those out).
   */
  async claim(
    workerId: string,
    leaseMs: number,
    types?: readonly JobType[],
  ): Promise<Job | undefined> {
    if (isPostgres(this.knex)) {
      const job = await this.claimInOneStatement(workerId, leaseMs, types);
      if (job) {
        return job;
      }
    }
    return this.claimInTransaction(workerId, leaseMs, types);
  }

  private async claimInOneStatement(
    workerId: string,
    leaseMs: number,
    types?: readonly JobType[],
  ): Promise<Job | undefined> {
    const now = new Date();
    const next = this.knex('jobs')
      .select('id')
      .modify(q => {
        if (types) {
          q.whereIn('type', [...types]);
        }
      })
      .where(q =>
        q
          .where(w =>
            w.where('status', 'queued').andWhere('run_after', '<=', now),
          )
          .orWhere(w =>
            w
              .where('status', 'running')
              .andWhere('lease_expires_at', '<', now)
              .andWhere('attempts', '<', this.knex.ref('max_attempts')),
          ),
      )
      .orderBy([{ column: 'run_after' }, { column: 'id' }])
      .limit(1)
      .forUpdate()
      .skipLocked();
    const [row]: JobRow[] = await this.knex('jobs')
      .where('id', '=', next)
      .update(
        {
          status: 'running',
          attempts: this.knex.raw('attempts + 1'),
          lease_owner: workerId,
          lease_expires_at: new Date(now.getTime() + leaseMs),
          updated_at: now,
        },
        '*',
      );
    return row ? toJob(row) : undefined;
  }

  private async claimInTransaction(
    workerId: string,
    leaseMs: number,
    types?: readonly JobType[],
  ): Promise<Job | undefined> {
    for (;;) {
      const outcome = await this.knex.transaction(async tx => {
        const now = new Date();
        let query = tx<JobRow>('jobs')
          .modify(q => {
            if (types) {
              q.whereIn('type', [...types]);
            }
          })
          .where(q =>
            q
              .where(w =>
                w.where('status', 'queued').andWhere('run_after', '<=', now),
              )
              .orWhere(w =>
                w
                  .where('status', 'running')
                  .andWhere('lease_expires_at', '<', now),
              ),
          )
          .orderBy([{ column: 'run_after' }, { column: 'id' }])
          .first();
        if (isPostgres(this.knex)) {
          query = query.forUpdate().skipLocked();
        }
        const row: JobRow | undefined = await query;
        if (!row) {
          return { kind: 'empty' as const };
        }
        if (row.status === 'running' && row.attempts >= row.max_attempts) {
          await tx('jobs')
            .where('id', row.id)
            .update({
              status: 'dead',
              lease_owner: null,
              lease_expires_at: null,
              last_error: `lease of ${row.lease_owner} expired on the last attempt (${row.attempts}/${row.max_attempts})`,
              updated_at: now,
            });
          // Nobody is left to report it (the worker died): the hook records the failure.
          await this.onDeadLetter?.(toJob({ ...row, status: 'dead' }), tx, now);
          return { kind: 'skipped' as const };
        }
        const claimed = {
          status: 'running' as const,
          attempts: row.attempts + 1,
          lease_owner: workerId,
          lease_expires_at: new Date(now.getTime() + leaseMs),
          updated_at: now,
        };
        await tx('jobs').where('id', row.id).update(claimed);
        return { kind: 'claimed' as const, job: toJob({ ...row, ...claimed }) };
      });
      if (outcome.kind !== 'skipped') {
        return outcome.kind === 'claimed' ? outcome.job : undefined;
      }
    }
  }

  async complete(job: Job, workerId: string): Promise<boolean> {
    const updated = await this.knex('jobs')
      .where({ id: job.id, lease_owner: workerId, status: 'running' })
      .update({
        status: 'done',
        lease_owner: null,
        lease_expires_at: null,
        last_error: null,
        updated_at: new Date(),
      });
    return updated === 1;
  }

  async fail(job: Job, workerId: string, error: Error): Promise<void> {
    const now = new Date();
    const dead = isLastAttempt(job, error);
    await this.knex('jobs')
      .where({ id: job.id, lease_owner: workerId, status: 'running' })
      .update({
        status: dead ? 'dead' : 'queued',
        run_after: dead
          ? now
          : new Date(now.getTime() + backoffMs(job.attempts)),
        lease_owner: null,
        lease_expires_at: null,
        last_error: `${error.name}: ${error.message}`.slice(0, 4000),
        updated_at: now,
      });
  }

  async listJobs(filter: {
    status?: JobStatus;
    incidentId?: string;
    limit: number;
  }): Promise<Job[]> {
    const query = this.knex<JobRow>('jobs')
      .orderBy('id', 'desc')
      .limit(filter.limit);
    if (filter.status) {
      query.where('status', filter.status);
    }
    if (filter.incidentId) {
      query.where('incident_id', filter.incidentId);
    }
    return (await query).map(toJob);
  }

  async stats(): Promise<QueueStats> {
    const now = new Date();
    const waiting: Array<{
      type: JobType;
      count: number | string;
      oldest: Date | number | string;
    }> = await this.knex('jobs')
      .where(q =>
        q
          .where('status', 'queued')
          .orWhere(w =>
            w.where('status', 'running').andWhere('lease_expires_at', '<', now),
          ),
      )
      .groupBy('type')
      .select('type')
      .count({ count: '*' })
      .min({ oldest: 'created_at' });
    const counts: Array<{
      type: JobType;
      status: Exclude<JobStatus, 'done'>;
      count: number | string;
    }> = await this.knex('jobs')
      .whereIn('status', ['queued', 'running', 'dead'])
      .groupBy('type', 'status')
      .select('type', 'status')
      .count({ count: '*' });
    const oldestAgeMsByType: QueueStats['oldestAgeMsByType'] = {};
    for (const row of waiting) {
      oldestAgeMsByType[row.type] = Math.max(
        0,
        now.getTime() - Date.parse(toIso(row.oldest)),
      );
    }
    return {
      depth: waiting.reduce((sum, row) => sum + Number(row.count), 0),
      oldestAgeMs: Math.max(0, ...Object.values(oldestAgeMsByType)),
      dead: counts
        .filter(row => row.status === 'dead')
        .reduce((sum, row) => sum + Number(row.count), 0),
      counts: counts.map(row => ({
        type: row.type,
        status: row.status,
        count: Number(row.count),
      })),
      oldestAgeMsByType,
    };
  }

  /**
   * On PostgreSQL the first listener opens the dedicated `LISTEN` connection and the last one to
   * unsubscribe closes it.
   */
  onEnqueued(listener: () => void): () => Promise<void> {
    this.events.on('enqueued', listener);
    if (this.events.listenerCount('enqueued') === 1) {
      this.listener?.start();
    }
    let subscribed = true;
    return async () => {
      if (!subscribed) {
        return;
      }
      subscribed = false;
      this.events.off('enqueued', listener);
      if (this.events.listenerCount('enqueued') === 0) {
        await this.listener?.stop();
      }
    };
  }

  /** Resolves once the `LISTEN` connection (PostgreSQL, while subscribed) is up or has failed. */
  async listening(): Promise<void> {
    if (this.events.listenerCount('enqueued') > 0) {
      await this.listener?.start();
    }
  }

  notifyEnqueued(): void {
    this.events.emit('enqueued');
  }
}
