import { Knex } from 'knex';
import {
  ReviewDecision,
  probabilityOfLabel,
} from '@ai-triage/plugin-ai-triage-common';

/** A reviewed hypothesis: its probability, its current review and who made it. */
export type ReviewedHypothesis = {
  reasoner: string;
  /** The rule family or fault kind it names (`unknown` when none). */
  family: string;
  probability: number;
  decision: ReviewDecision;
};

export type RunCount = { reasoner: string; runs: number; abstentions: number };

/** Reads triage runs and their reviews for quality reports and calibration. */
export class ReviewQualityStore {
  constructor(private readonly knex: Knex) {}

  /** Hypotheses of runs created in [from, to) with their current (latest) review. */
  async listReviewed(range: {
    from: Date;
    to: Date;
  }): Promise<ReviewedHypothesis[]> {
    const latest = this.knex('reviews')
      .max('id as id')
      .groupBy('hypothesis_id');
    const rows = await this.knex('hypotheses as h')
      .join('triage_runs as r', 'r.id', 'h.run_id')
      .join('reviews as v', 'v.hypothesis_id', 'h.id')
      .whereIn('v.id', latest)
      .where('r.created_at', '>=', range.from)
      .where('r.created_at', '<', range.to)
      .select(
        'r.reasoner',
        'h.kind',
        'h.probability',
        'h.confidence',
        'v.decision',
      )
      .orderBy('v.id');
    return rows.map(row => ({
      reasoner: row.reasoner,
      family: row.kind ?? 'unknown',
      probability:
        row.probability === null || row.probability === undefined
          ? probabilityOfLabel(row.confidence)
          : Number(row.probability),
      decision: row.decision,
    }));
  }

  /** Runs created in [from, to) per reasoner, and how many ended in an abstention. */
  async countRuns(range: { from: Date; to: Date }): Promise<RunCount[]> {
    const rows = await this.knex('triage_runs')
      .where('created_at', '>=', range.from)
      .where('created_at', '<', range.to)
      .select('reasoner')
      .count({ runs: '*' })
      .sum({
        abstentions: this.knex.raw(
          'CASE WHEN insufficient_evidence THEN 1 ELSE 0 END',
        ),
      })
      .groupBy('reasoner')
      .orderBy('reasoner');
    return rows.map((row: any) => ({
      reasoner: row.reasoner,
      runs: Number(row.runs),
      abstentions: Number(row.abstentions ?? 0),
    }));
  }
}
