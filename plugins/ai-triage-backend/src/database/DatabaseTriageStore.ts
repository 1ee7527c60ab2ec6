import { randomUUID } from 'node:crypto';
import {
  ContextDocument,
  Hypothesis,
  HypothesisSet,
  Review,
  ReviewRequest,
  probabilityOfLabel,
} from '@ai-triage/plugin-ai-triage-common';
import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { insertJob } from '../queue/DatabaseJobQueue';
import { updateTriageState } from './DatabaseIncidentStore';
import { DbTimestamp, toIso } from '../sql/timestamps';
import {
  LlmCallRecord,
  StoredContext,
  StoredLlmCall,
  TriageRun,
  TriageRunPurpose,
  TriageStore,
} from './TriageStore';

type ContextRow = {
  id: string | number;
  job_id: string | number;
  incident_id: string;
  schema_version: number;
  document: string;
  size_bytes: number;
  created_at: DbTimestamp;
};

type RunRow = {
  id: string;
  incident_id: string;
  context_id: string | number;
  purpose: TriageRunPurpose;
  reasoner: string;
  model: string | null;
  prompt_version: string | null;
  insufficient_evidence: boolean | number;
  degraded: boolean | number;
  degraded_reason: string | null;
  latency_ms: number;
  created_at: DbTimestamp;
};

type LlmCallRow = {
  id: string | number;
  incident_id: string;
  reasoner: string;
  model: string;
  prompt_version: string;
  attempt: number;
  prompt: string;
  response: string | null;
  outcome: LlmCallRecord['outcome'];
  error: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
  latency_ms: number;
  created_at: DbTimestamp;
};

type HypothesisRow = {
  id: string;
  run_id: string;
  incident_id: string;
  rank: number;
  root_cause: string;
  affected_components: string;
  confidence: Hypothesis['confidence'];
  /** NULL on rows stored before probabilities (migration 20261206002000). */
  probability: number | null;
  kind: Hypothesis['kind'] | null;
  origin: string | null;
  reasoning: string;
  diagnostic_steps: string;
  evidence_ids: string;
  created_at: DbTimestamp;
};

type ReviewRow = {
  id: string | number;
  hypothesis_id: string;
  incident_id: string;
  decision: Review['decision'];
  comment: string | null;
  modified_root_cause: string | null;
  modified_affected_components: string | null;
  modified_diagnostic_steps: string | null;
  reviewer: string;
  created_at: DbTimestamp;
};

export class DatabaseTriageStore implements TriageStore {
  static create(options: {
    knex: Knex;
    maxAttempts: number;
  }): DatabaseTriageStore {
    return new DatabaseTriageStore(options.knex, options.maxAttempts);
  }

  private constructor(
    private readonly knex: Knex,
    private readonly maxAttempts: number,
  ) {}

  async saveContext(input: {
    jobId: string;
    incidentId: string;
    document: ContextDocument;
    reason?: boolean;
  }): Promise<StoredContext> {
    return this.knex.transaction(async tx => {
      const existing = await tx<ContextRow>('context_documents')
        .where('job_id', input.jobId)
        .first();
      if (existing) {
        return toContext(existing);
      }
      const json = JSON.stringify(input.document);
      const row = {
        job_id: input.jobId,
        incident_id: input.incidentId,
        schema_version: input.document.version,
        document: json,
        size_bytes: Buffer.byteLength(json),
        created_at: new Date(),
      };
      const [inserted] = await tx('context_documents').insert(row, ['id']);
      if (input.reason !== false) {
        await insertJob(tx, {
          type: 'reason',
          incidentId: input.incidentId,
          maxAttempts: this.maxAttempts,
          followsJobId: input.jobId,
        });
        await updateTriageState(
          tx,
          input.incidentId,
          'reasoning',
          row.created_at,
        );
      }
      return toContext({ ...row, id: inserted.id ?? inserted });
    });
  }

  async getLatestContext(
    incidentId: string,
  ): Promise<StoredContext | undefined> {
    const row = await this.knex<ContextRow>('context_documents')
      .where('incident_id', incidentId)
      .orderBy('id', 'desc')
      .first();
    return row ? toContext(row) : undefined;
  }

  async saveTriageRun(input: {
    incidentId: string;
    contextId: string;
    reasoner: string;
    model?: string;
    promptVersion?: string;
    latencyMs: number;
    result: HypothesisSet;
    degradedReason?: string;
    purpose?: TriageRunPurpose;
  }): Promise<TriageRun> {
    const purpose = input.purpose ?? 'live';
    return this.knex.transaction(async tx => {
      if (purpose === 'live') {
        const existing = await tx<RunRow>('triage_runs')
          .where({
            incident_id: input.incidentId,
            context_id: input.contextId,
            purpose: 'live',
          })
          .first();
        if (existing) {
          return toRun(existing);
        }
      }
      const now = new Date();
      const run: RunRow = {
        id: randomUUID(),
        incident_id: input.incidentId,
        context_id: input.contextId,
        purpose,
        reasoner: input.reasoner,
        model: input.model ?? null,
        prompt_version: input.promptVersion ?? null,
        insufficient_evidence: input.result.insufficientEvidence,
        degraded: input.degradedReason !== undefined,
        degraded_reason: input.degradedReason ?? null,
        latency_ms: Math.round(input.latencyMs),
        created_at: now,
      };
      await tx('triage_runs').insert(run);
      if (input.result.hypotheses.length > 0) {
        await tx('hypotheses').insert(
          input.result.hypotheses.map((h, index) => ({
            id: randomUUID(),
            run_id: run.id,
            incident_id: input.incidentId,
            rank: index + 1,
            root_cause: h.rootCause,
            affected_components: JSON.stringify(h.affectedComponents),
            confidence: h.confidence,
            probability: h.probability ?? null,
            kind: h.kind ?? null,
            origin: h.origin ?? null,
            reasoning: h.reasoning,
            diagnostic_steps: JSON.stringify(h.diagnosticSteps),
            evidence_ids: JSON.stringify(h.evidenceIds),
            created_at: now,
          })),
        );
      }
      if (purpose === 'live') {
        await updateTriageState(tx, input.incidentId, 'triaged', now);
      }
      return toRun(run);
    });
  }

  async getLatestRun(incidentId: string): Promise<TriageRun | undefined> {
    const row = await this.knex<RunRow>('triage_runs')
      .where({ incident_id: incidentId, purpose: 'live' })
      .orderBy('created_at', 'desc')
      .first();
    return row ? toRun(row) : undefined;
  }

  async listRuns(incidentId: string): Promise<TriageRun[]> {
    const rows: RunRow[] = await this.knex('triage_runs')
      .where('incident_id', incidentId)
      .orderBy('created_at', 'desc');
    return rows.map(toRun);
  }

  async listHypotheses(incidentId: string): Promise<Hypothesis[]> {
    const run = await this.getLatestRun(incidentId);
    if (!run) {
      return [];
    }
    const rows: HypothesisRow[] = await this.knex('hypotheses')
      .where('run_id', run.id)
      .orderBy('rank');
    const reviews: ReviewRow[] = await this.knex('reviews')
      .whereIn(
        'hypothesis_id',
        rows.map(r => r.id),
      )
      .orderBy('id');
    const reviewHistory = new Map<string, Review[]>();
    for (const review of reviews) {
      reviewHistory.set(review.hypothesis_id, [
        ...(reviewHistory.get(review.hypothesis_id) ?? []),
        toReview(review),
      ]);
    }
    return rows.map(row => ({
      id: row.id,
      rank: row.rank,
      reasoner: run.reasoner,
      rootCause: row.root_cause,
      affectedComponents: JSON.parse(row.affected_components),
      confidence: row.confidence,
      // Rows stored before probabilities: the middle of their label's band.
      probability:
        row.probability === null || row.probability === undefined
          ? probabilityOfLabel(row.confidence)
          : Number(row.probability),
      ...(row.kind ? { kind: row.kind } : {}),
      ...(row.origin ? { origin: row.origin } : {}),
      reasoning: row.reasoning,
      diagnosticSteps: JSON.parse(row.diagnostic_steps),
      evidenceIds: JSON.parse(row.evidence_ids),
      createdAt: toIso(row.created_at),
      review: reviewHistory.get(row.id)?.at(-1) ?? null,
      reviewHistory: reviewHistory.get(row.id) ?? [],
    }));
  }

  async saveLlmCall(record: LlmCallRecord): Promise<StoredLlmCall> {
    const row: Omit<LlmCallRow, 'id'> = {
      incident_id: record.incidentId,
      reasoner: record.reasoner,
      model: record.model,
      prompt_version: record.promptVersion,
      attempt: record.attempt,
      prompt: JSON.stringify(record.prompt),
      response: record.response,
      outcome: record.outcome,
      error: record.error,
      prompt_tokens: record.promptTokens,
      completion_tokens: record.completionTokens,
      total_tokens: record.totalTokens,
      latency_ms: Math.round(record.latencyMs),
      created_at: new Date(),
    };
    const [inserted] = await this.knex('llm_calls').insert(row, ['id']);
    return toLlmCall({ ...row, id: inserted.id ?? inserted });
  }

  async listLlmCalls(incidentId: string): Promise<StoredLlmCall[]> {
    const rows: LlmCallRow[] = await this.knex('llm_calls')
      .where('incident_id', incidentId)
      .orderBy('id');
    return rows.map(toLlmCall);
  }

  async addReview(input: {
    incidentId: string;
    hypothesisId: string;
    reviewer: string;
    review: ReviewRequest;
  }): Promise<Review> {
    return insertReview(this.knex, { ...input, createdAt: new Date() });
  }
}

/**
 * Inserts a review of a hypothesis of the incident (NotFoundError when the incident has no such
 * hypothesis). Takes a transaction so a caller can store what the review causes with it
 * (the workflow's outbound deliveries).
 */
export async function insertReview(
  db: Knex | Knex.Transaction,
  input: {
    incidentId: string;
    hypothesisId: string;
    reviewer: string;
    review: ReviewRequest;
    createdAt: Date;
  },
): Promise<Review> {
  const hypothesis = await db('hypotheses')
    .where({ id: input.hypothesisId, incident_id: input.incidentId })
    .first('id');
  if (!hypothesis) {
    throw new NotFoundError(
      `Hypothesis ${input.hypothesisId} not found in incident ${input.incidentId}`,
    );
  }
  const row: Omit<ReviewRow, 'id'> = {
    hypothesis_id: input.hypothesisId,
    incident_id: input.incidentId,
    decision: input.review.decision,
    comment: input.review.comment ?? null,
    modified_root_cause: input.review.modifiedRootCause ?? null,
    modified_affected_components: jsonOrNull(
      input.review.modifiedAffectedComponents,
    ),
    modified_diagnostic_steps: jsonOrNull(input.review.modifiedDiagnosticSteps),
    reviewer: input.reviewer,
    created_at: input.createdAt,
  };
  const [inserted] = await db('reviews').insert(row, ['id']);
  return toReview({ ...row, id: inserted.id ?? inserted });
}

function toContext(row: ContextRow): StoredContext {
  return {
    id: String(row.id),
    incidentId: row.incident_id,
    document: JSON.parse(row.document),
    sizeBytes: row.size_bytes,
    createdAt: toIso(row.created_at),
  };
}

function toRun(row: RunRow): TriageRun {
  return {
    id: row.id,
    incidentId: row.incident_id,
    contextId: String(row.context_id),
    purpose: row.purpose ?? 'live',
    reasoner: row.reasoner,
    model: row.model ?? null,
    promptVersion: row.prompt_version ?? null,
    insufficientEvidence: Boolean(row.insufficient_evidence),
    degraded: Boolean(row.degraded),
    degradedReason: row.degraded_reason ?? null,
    latencyMs: row.latency_ms,
    createdAt: toIso(row.created_at),
  };
}

function toReview(row: ReviewRow): Review {
  return {
    id: String(row.id),
    hypothesisId: row.hypothesis_id,
    decision: row.decision,
    comment: row.comment,
    modifiedRootCause: row.modified_root_cause,
    modifiedAffectedComponents: row.modified_affected_components
      ? JSON.parse(row.modified_affected_components)
      : null,
    modifiedDiagnosticSteps: row.modified_diagnostic_steps
      ? JSON.parse(row.modified_diagnostic_steps)
      : null,
    reviewer: row.reviewer,
    createdAt: toIso(row.created_at),
  };
}

function jsonOrNull(value: string[] | undefined): string | null {
  return value ? JSON.stringify(value) : null;
}

function toLlmCall(row: LlmCallRow): StoredLlmCall {
  return {
    id: String(row.id),
    incidentId: row.incident_id,
    reasoner: row.reasoner,
    model: row.model,
    promptVersion: row.prompt_version,
    attempt: row.attempt,
    prompt: JSON.parse(row.prompt),
    response: row.response,
    outcome: row.outcome,
    error: row.error,
    promptTokens: nullableNumber(row.prompt_tokens),
    completionTokens: nullableNumber(row.completion_tokens),
    totalTokens: nullableNumber(row.total_tokens),
    latencyMs: Number(row.latency_ms),
    createdAt: toIso(row.created_at),
  };
}

function nullableNumber(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}
