import { Knex } from 'knex';
import {
  ReviewDecision,
  probabilityOfLabel,
} from '@ai-triage/plugin-ai-triage-common';

/** What answered a triage run: reasoner, model and prompt version (null for the heuristic). */
export type RunSource = {
  reasoner: string;
  model: string | null;
  promptVersion: string | null;
};

/** A reviewed hypothesis of a live run: its probability, its current review and who made it. */
export type ReviewedHypothesis = RunSource & {
  /** The rule family or fault kind it names (`unknown` when none). */
  family: string;
  probability: number;
  decision: ReviewDecision;
};

export type RunCount = RunSource & {
  purpose: 'live' | 'replay';
  runs: number;
  abstentions: number;
};

/** Reads triage runs and their reviews for quality reports and calibration. */
export class ReviewQualityStore {
  constructor(private readonly knex: Knex) {}

  /**
   * Hypotheses of live runs created in [from, to) with their current (latest) review. Replay
   * runs are left out: reviewers never saw them.
   */
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
      .where('r.purpose', 'live')
      .where('r.created_at', '>=', range.from)
      .where('r.created_at', '<', range.to)
      .select(
        'r.reasoner',
        'r.model',
        'r.prompt_version',
        'h.kind',
        'h.probability',
        'h.confidence',
        'v.decision',
      )
      .orderBy('v.id');
    return rows.map(row => ({
      reasoner: row.reasoner,
      model: row.model ?? null,
      promptVersion: row.prompt_version ?? null,
      family: row.kind ?? 'unknown',
      probability:
        row.probability === null || row.probability === undefined
          ? probabilityOfLabel(row.confidence)
          : Number(row.probability),
      decision: row.decision,
    }));
  }

  /**
   * Runs created in [from, to) per purpose, reasoner, model and prompt version, and how many
   * ended in an abstention.
   */
  async countRuns(range: { from: Date; to: Date }): Promise<RunCount[]> {
    const rows = await this.knex('triage_runs')
      .where('created_at', '>=', range.from)
      .where('created_at', '<', range.to)
      .select('purpose', 'reasoner', 'model', 'prompt_version')
      .count({ runs: '*' })
      .sum({
        abstentions: this.knex.raw(
          'CASE WHEN insufficient_evidence THEN 1 ELSE 0 END',
        ),
      })
      .groupBy('purpose', 'reasoner', 'model', 'prompt_version')
      .orderBy(['purpose', 'reasoner', 'model', 'prompt_version']);
    return rows.map((row: any) => ({
      purpose: row.purpose,
      reasoner: row.reasoner,
      model: row.model ?? null,
      promptVersion: row.prompt_version ?? null,
      runs: Number(row.runs),
      abstentions: Number(row.abstentions ?? 0),
    }));
  }
}
