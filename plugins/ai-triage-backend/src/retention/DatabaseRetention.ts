import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

const DAY_MS = 86_400_000;

/** How long each kind of row is kept (`aiTriage.retention.*`, see config.d.ts). */
export type RetentionPolicy = {
  /** Jobs done or dead, after their last change. */
  jobsMs: number;
  /** Deliveries (the re-delivery check), after receipt. */
  deliveriesMs: number;
  /** LLM call audit records, after the call. */
  llmCallsMs: number;
  /** Context documents of resolved incidents, after the incident resolved. */
  contextDocumentsMs: number;
  /** Resolved incidents nobody reviewed, with their alerts, runs and hypotheses. */
  incidentsMs: number;
  /** Resolved incidents with a review: kept longer, as the record of what was learned. */
  reviewedIncidentsMs: number;
  /** Rows per delete statement: each is short, so intake never waits behind retention. */
  batchSize: number;
};

export const DEFAULT_RETENTION_POLICY: RetentionPolicy = {
  jobsMs: 7 * DAY_MS,
  deliveriesMs: 30 * DAY_MS,
  llmCallsMs: 90 * DAY_MS,
  contextDocumentsMs: 30 * DAY_MS,
  incidentsMs: 180 * DAY_MS,
  reviewedIncidentsMs: 730 * DAY_MS,
  batchSize: 500,
};

/** What one run deleted, per kind. */
type RetentionReport = {
  jobs: number;
  deliveries: number;
  llmCalls: number;
  contextDocuments: number;
  incidents: number;
};

/** Tables holding rows of one incident, deleted with it (children first). */
const INCIDENT_CHILDREN = [
  'reviews',
  'hypotheses',
  'triage_runs',
  'llm_calls',
  'context_documents',
  'alerts',
  'jobs',
  'evidence_watches',
];

/**
 * Deletes what is past its time in every table that grows with use (telemetry has its own
 * retention). Runs as a scheduled task; deletes in batches of `batchSize` rows by id, each batch
 * its own short statement (or transaction, for an incident and its rows), and stops after
 * `maxBatchesPerRun` batches per kind so one run stays short; the next run goes on.
 */
export class DatabaseRetention {
  static create(options: {
    knex: Knex;
    policy?: RetentionPolicy;
    logger: LoggerService;
    maxBatchesPerRun?: number;
  }): DatabaseRetention {
    return new DatabaseRetention(
      options.knex,
      options.policy ?? DEFAULT_RETENTION_POLICY,
      options.logger,
      options.maxBatchesPerRun ?? 100,
    );
  }

  private constructor(
    private readonly knex: Knex,
    private readonly policy: RetentionPolicy,
    private readonly logger: LoggerService,
    private readonly maxBatchesPerRun: number,
  ) {}

  async run(now = new Date()): Promise<RetentionReport> {
    const before = (ms: number) => new Date(now.getTime() - ms);
    const { policy } = this;
    const report: RetentionReport = {
      jobs: await this.deleteInBatches('jobs', q =>
        q
          .whereIn('status', ['done', 'dead'])
          .where('updated_at', '<', before(policy.jobsMs)),
      ),
      deliveries: await this.deleteInBatches('deliveries', q =>
        q.where('received_at', '<', before(policy.deliveriesMs)),
      ),
      llmCalls: await this.deleteInBatches('llm_calls', q =>
        q.where('created_at', '<', before(policy.llmCallsMs)),
      ),
      contextDocuments: await this.deleteInBatches('context_documents', q =>
        q.whereIn(
          'incident_id',
          this.knex('incidents')
            .where('status', 'resolved')
            .where('resolved_at', '<', before(policy.contextDocumentsMs))
            .select('id'),
        ),
      ),
      incidents: await this.deleteIncidents(
        before(policy.incidentsMs),
        before(policy.reviewedIncidentsMs),
      ),
    };
    const total = Object.values(report).reduce((sum, n) => sum + n, 0);
    if (total > 0) {
      this.logger.info(
        `Retention deleted ${total} rows past their time`,
        report,
      );
    }
    return report;
  }

  /** Deletes the rows the filter selects, `batchSize` ids per statement. */
  private async deleteInBatches(
    table: string,
    filter: (query: Knex.QueryBuilder) => Knex.QueryBuilder,
  ): Promise<number> {
    let deleted = 0;
    for (let batch = 0; batch < this.maxBatchesPerRun; batch++) {
      const ids: Array<string | number> = await filter(this.knex(table))
        .limit(this.policy.batchSize)
        .pluck('id');
      if (ids.length === 0) break;
      deleted += await this.knex(table).whereIn('id', ids).delete();
      if (ids.length < this.policy.batchSize) break;
    }
    return deleted;
  }

  /**
   * Resolved incidents past their time (reviewed ones past the longer time), each batch with
   * every row that belongs to them, in one transaction.
   */
  private async deleteIncidents(
    unreviewedBefore: Date,
    reviewedBefore: Date,
  ): Promise<number> {
    const reviewed = this.knex('reviews').distinct('incident_id');
    let deleted = 0;
    for (let batch = 0; batch < this.maxBatchesPerRun; batch++) {
      const ids: string[] = await this.knex('incidents')
        .where('status', 'resolved')
        .where(q =>
          q
            .where(w =>
              w
                .where('resolved_at', '<', unreviewedBefore)
                .whereNotIn('id', reviewed.clone()),
            )
            .orWhere('resolved_at', '<', reviewedBefore),
        )
        .limit(this.policy.batchSize)
        .pluck('id');
      if (ids.length === 0) break;
      deleted += await this.knex.transaction(async (tx): Promise<number> => {
        for (const table of INCIDENT_CHILDREN) {
          await tx(table).whereIn('incident_id', ids).delete();
        }
        return tx('incidents').whereIn('id', ids).delete();
      });
      if (ids.length < this.policy.batchSize) break;
    }
    return deleted;
  }
}
