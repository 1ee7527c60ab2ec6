import { Knex } from 'knex';
import {
  ReplayRunSummary,
  ReviewDecision,
  probabilityOfLabel,
} from '@ai-triage/plugin-ai-triage-common';
import { toIso } from '../sql/timestamps';

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

  /**
   * The latest replay runs created in [from, to), newest first, each with its best hypothesis
   * and the incident's live answer (best hypothesis of its latest live run, current review).
   */
  async listReplays(
    range: { from: Date; to: Date },
    limit = 50,
  ): Promise<ReplayRunSummary[]> {
    const runs = await this.knex('triage_runs')
      .where('purpose', 'replay')
      .where('created_at', '>=', range.from)
      .where('created_at', '<', range.to)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    if (runs.length === 0) return [];
    const incidentIds = [...new Set(runs.map(r => r.incident_id as string))];
    const liveRuns = await this.knex('triage_runs')
      .whereIn('incident_id', incidentIds)
      .where('purpose', 'live')
      .orderBy('created_at', 'desc')
      .select('id', 'incident_id');
    const liveRunOf = new Map<string, string>();
    for (const run of liveRuns) {
      if (!liveRunOf.has(run.incident_id)) {
        liveRunOf.set(run.incident_id, run.id);
      }
    }
    const tops = await this.knex('hypotheses')
      .whereIn('run_id', [
        ...runs.map(r => r.id as string),
        ...liveRunOf.values(),
      ])
      .where('rank', 1)
      .select(
        'id',
        'run_id',
        'root_cause',
        'probability',
        'confidence',
        'origin',
      );
    const topOf = new Map(tops.map(h => [h.run_id as string, h]));
    const reviews = await this.knex('reviews')
      .whereIn(
        'hypothesis_id',
        tops.map(h => h.id),
      )
      .orderBy('id')
      .select('hypothesis_id', 'decision');
    const decisionOf = new Map<string, ReviewDecision>(
      reviews.map(r => [r.hypothesis_id, r.decision]),
    );
    const probability = (h: any) =>
      h.probability === null || h.probability === undefined
        ? probabilityOfLabel(h.confidence)
        : Number(h.probability);
    return runs.map(run => {
      const top = topOf.get(run.id);
      const liveRun = liveRunOf.get(run.incident_id);
      const live = liveRun ? topOf.get(liveRun) : undefined;
      return {
        runId: run.id,
        incidentId: run.incident_id,
        reasoner: run.reasoner,
        model: run.model ?? null,
        promptVersion: run.prompt_version ?? null,
        createdAt: toIso(run.created_at),
        insufficientEvidence: Boolean(run.insufficient_evidence),
        top: top
          ? {
              rootCause: top.root_cause,
              probability: probability(top),
              origin: top.origin ?? null,
            }
          : null,
        live: live
          ? {
              rootCause: live.root_cause,
              probability: probability(live),
              decision: decisionOf.get(live.id) ?? null,
            }
          : null,
      };
    });
  }
}
