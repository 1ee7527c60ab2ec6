import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  ContextDocument,
  HypothesisSet,
  evidenceIdsOf,
  hypothesisSetSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { Reasoner } from '@ai-triage/plugin-ai-triage-node';
import { Job } from '../database/JobQueue';
import { TriageStore } from '../database/TriageStore';

/**
 * Keeps what a reasoner may claim: the answer must match the shared schema, evidence ids that
 * the context does not have are removed, and a hypothesis left citing nothing is dropped.
 */
export function groundHypotheses(
  answer: unknown,
  context: ContextDocument,
): HypothesisSet {
  const parsed = hypothesisSetSchema.parse(answer);
  const known = evidenceIdsOf(context);
  const hypotheses = parsed.hypotheses
    .map(h => ({
      ...h,
      evidenceIds: h.evidenceIds.filter(id => known.has(id)),
    }))
    .filter(h => h.evidenceIds.length > 0);
  return {
    hypotheses,
    insufficientEvidence:
      parsed.insufficientEvidence || hypotheses.length === 0,
  };
}

/**
 * The `reason` stage: runs the configured reasoner over the incident's latest context; if it
 * fails, the heuristic fallback answers (recorded as `<fallback> (fallback)`).
 */
export class ReasoningHandler {
  static create(options: {
    triage: TriageStore;
    reasoner: Reasoner;
    fallback: Reasoner;
    logger: LoggerService;
  }): ReasoningHandler {
    return new ReasoningHandler(
      options.triage,
      options.reasoner,
      options.fallback,
      options.logger,
    );
  }

  private constructor(
    private readonly triage: TriageStore,
    private readonly reasoner: Reasoner,
    private readonly fallback: Reasoner,
    private readonly logger: LoggerService,
  ) {}

  async handle(job: Job): Promise<void> {
    const context = await this.triage.getLatestContext(job.incidentId);
    if (!context) {
      throw new NotFoundError(
        `Incident ${job.incidentId} has no context document`,
      );
    }
    const started = Date.now();
    let reasonerName = this.reasoner.name;
    let result: HypothesisSet;
    try {
      result = groundHypotheses(
        await this.reasoner.reason(context.document),
        context.document,
      );
    } catch (error) {
      if (this.reasoner === this.fallback) {
        throw error;
      }
      this.logger.warn(
        `Reasoner ${this.reasoner.name} failed; using ${this.fallback.name}`,
        {
          incidentId: job.incidentId,
          error: String(error),
        },
      );
      reasonerName = `${this.fallback.name} (fallback)`;
      result = groundHypotheses(
        await this.fallback.reason(context.document),
        context.document,
      );
    }
    await this.triage.saveTriageRun({
      incidentId: job.incidentId,
      contextId: context.id,
      reasoner: reasonerName,
      latencyMs: Date.now() - started,
      result,
    });
  }
}
