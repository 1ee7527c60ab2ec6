import {
  ContextDocument,
  Hypothesis,
  HypothesisSet,
  Review,
  ReviewRequest,
} from '@ai-triage/plugin-ai-triage-common';

export type StoredContext = {
  id: string;
  incidentId: string;
  document: ContextDocument;
  sizeBytes: number;
  createdAt: string;
};

export type TriageRun = {
  id: string;
  incidentId: string;
  contextId: string;
  reasoner: string;
  insufficientEvidence: boolean;
  latencyMs: number;
  createdAt: string;
};

/** What enrichment and reasoning produce for an incident, and the reviews of it. */
export interface TriageStore {
  /**
   * Stores the context an enrich job built and enqueues the `reason` job, in one transaction.
   * Idempotent per job: a re-run of the same job stores nothing new.
   */
  saveContext(input: {
    jobId: string;
    incidentId: string;
    document: ContextDocument;
  }): Promise<StoredContext>;
  getLatestContext(incidentId: string): Promise<StoredContext | undefined>;
  /**
   * Stores a reasoner's hypotheses for a context and marks the incident triaged, in one
   * transaction. Idempotent per context: a second run for the same context is ignored.
   */
  saveTriageRun(input: {
    incidentId: string;
    contextId: string;
    reasoner: string;
    latencyMs: number;
    result: HypothesisSet;
  }): Promise<TriageRun>;
  getLatestRun(incidentId: string): Promise<TriageRun | undefined>;
  /** The hypotheses of the incident's latest run, best first, each with its latest review. */
  listHypotheses(incidentId: string): Promise<Hypothesis[]>;
  addReview(input: {
    incidentId: string;
    hypothesisId: string;
    reviewer: string;
    review: ReviewRequest;
  }): Promise<Review>;
}
