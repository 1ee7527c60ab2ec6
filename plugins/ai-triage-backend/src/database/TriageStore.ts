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

/**
 * `live`: the run that answered the incident (the incident view shows the latest live run);
 * `replay`: a re-reasoned case recorded by `npm run replay -- --record`, kept beside the live
 * runs and never shown as the incident's answer.
 */
export type TriageRunPurpose = 'live' | 'replay';

export type TriageRun = {
  id: string;
  incidentId: string;
  contextId: string;
  purpose: TriageRunPurpose;
  reasoner: string;
  /** The LLM model that answered; null for the heuristic. */
  model: string | null;
  /** The prompt version of an LLM answer; null for the heuristic. */
  promptVersion: string | null;
  insufficientEvidence: boolean;
  /** The fallback answered because the configured reasoner failed (see `degradedReason`). */
  degraded: boolean;
  degradedReason: string | null;
  latencyMs: number;
  createdAt: string;
};

/** How one call to an LLM endpoint ended. */
const LLM_CALL_OUTCOMES = [
  'ok',
  'insufficient_evidence',
  'invalid_json',
  'schema_invalid',
  'timeout',
  'rate_limited',
  'server_error',
  'http_error',
  'connection_error',
  'circuit_open',
] as const;
export type LlmCallOutcome = (typeof LLM_CALL_OUTCOMES)[number];

/** The audit record of one call to an LLM endpoint. Prompt and response are redacted. */
export type LlmCallRecord = {
  incidentId: string;
  reasoner: string;
  model: string;
  promptVersion: string;
  /** 1 for the first call, 2 for the repair call. */
  attempt: number;
  /** The chat messages sent, redacted. */
  prompt: Array<{ role: string; content: string }>;
  /** The answer text, redacted; null when none came back. */
  response: string | null;
  outcome: LlmCallOutcome;
  error: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  latencyMs: number;
};

export type StoredLlmCall = LlmCallRecord & { id: string; createdAt: string };

/** Where audit records of LLM calls go. */
export interface LlmCallAuditLog {
  saveLlmCall(record: LlmCallRecord): Promise<StoredLlmCall>;
}

/** What enrichment and reasoning produce for an incident, and the reviews of it. */
export interface TriageStore extends LlmCallAuditLog {
  /**
   * Stores the context an enrich job built and enqueues the `reason` job, in one transaction.
   * Idempotent per job: a re-run of the same job stores nothing new.
   */
  saveContext(input: {
    jobId: string;
    incidentId: string;
    document: ContextDocument;
    /** False: store it for the record only, no `reason` job (a fault group's lead is reasoned over instead). Default true. */
    reason?: boolean;
  }): Promise<StoredContext>;
  getLatestContext(incidentId: string): Promise<StoredContext | undefined>;
  /**
   * Stores a reasoner's hypotheses for a context and marks the incident triaged, in one
   * transaction. Idempotent per context: a second live run for the same context is ignored.
   * A `replay` run is always stored as a new run and changes nothing else: the incident keeps
   * its triage state and its latest live run as its answer.
   */
  saveTriageRun(input: {
    incidentId: string;
    contextId: string;
    reasoner: string;
    model?: string;
    promptVersion?: string;
    latencyMs: number;
    result: HypothesisSet;
    /** Why the configured reasoner did not answer, when a fallback did. */
    degradedReason?: string;
    /** Default `live`. */
    purpose?: TriageRunPurpose;
  }): Promise<TriageRun>;
  /** The incident's latest live run: its current answer (replay runs never are). */
  getLatestRun(incidentId: string): Promise<TriageRun | undefined>;
  /** Every run of the incident, live and replay, newest first. */
  listRuns(incidentId: string): Promise<TriageRun[]>;
  /** The hypotheses of the incident's latest live run, best first, each with its latest review. */
  listHypotheses(incidentId: string): Promise<Hypothesis[]>;
  /** The audit records of the incident's LLM calls, oldest first. */
  listLlmCalls(incidentId: string): Promise<StoredLlmCall[]>;
  addReview(input: {
    incidentId: string;
    hypothesisId: string;
    reviewer: string;
    review: ReviewRequest;
  }): Promise<Review>;
}
