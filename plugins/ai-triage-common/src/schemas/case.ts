import { z } from 'zod';
import { contextDocumentSchema } from './context';
import { FAULT_KINDS } from './localization';
import { ReviewDecision } from './hypothesis';

/** The version of the case format this package reads and writes. @public */
export const TRIAGE_CASE_VERSION = 1;

/**
 * What is known about a case's fault:
 * - `cause`: the fault began in `service` (a service name), optionally of `kind`; `keywords`
 *   are words a correct root cause mentions (any one suffices; empty means any).
 * - `no-cause`: there was no fault; the right answer is an abstention.
 * - `not`: a reviewer rejected a hypothesis naming `service`; the truth is only that it was
 *   not this one (a rejected answer teaches what is wrong, not what is right).
 *
 * @public
 */
export const caseTruthSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('cause'),
    service: z.string().min(1),
    kind: z.enum(FAULT_KINDS).optional(),
    keywords: z.array(z.string().min(1)).default([]),
  }),
  z.object({ type: z.literal('no-cause') }),
  z.object({
    type: z.literal('not'),
    service: z.string().min(1),
    rootCause: z.string().optional(),
  }),
]);

/**
 * A replayable case: the context document a reasoner reads, and its truth. Written by
 * `npm run cases:export` (reviewed incidents, redacted) and `npm run cases:examples` (example
 * scenarios and lab recordings); read by `npm run replay`.
 *
 * @public
 */
export const triageCaseSchema = z.object({
  version: z.literal(TRIAGE_CASE_VERSION),
  id: z.string().min(1),
  /** Where the case came from: `review`, `scenario` or `lab`. */
  source: z.enum(['review', 'scenario', 'lab']),
  /** For `review` cases: the incident it was exported from. */
  incidentId: z.string().optional(),
  /**
   * For `review` cases: the stored context document it holds (`npm run replay -- --record`
   * stores its replay run against it).
   */
  contextId: z.string().optional(),
  context: contextDocumentSchema,
  truth: caseTruthSchema,
});

/** @public */
export type CaseTruth = z.infer<typeof caseTruthSchema>;
/** @public */
export type TriageCase = z.infer<typeof triageCaseSchema>;

/** One bin of a reliability diagram: hypotheses whose probability fell in [from, to). @public */
export type ReliabilityBinSummary = {
  from: number;
  to: number;
  count: number;
  /** Mean predicted probability (null when empty). */
  meanProbability: number | null;
  /** Share accepted by reviewers (null when empty). */
  observed: number | null;
};

/**
 * Review outcomes of one reasoner (or of all) over a time range: how often reviewers accepted,
 * modified or rejected its hypotheses, how often it abstained, and how well its probabilities
 * match acceptance (an accepted hypothesis counts right, a modified or rejected one wrong).
 *
 * @public
 */
export type TriageQualityRow = {
  /**
   * `live`: runs that answered incidents (the reviewed ones); `replay`: runs recorded by
   * `npm run replay -- --record`, which have no reviews of their own.
   */
  purpose: 'live' | 'replay';
  /** `all` in the overall row. */
  reasoner: string;
  /** The LLM model; null for the heuristic and in the overall row. */
  model: string | null;
  /** The prompt version; null for the heuristic and in the overall row. */
  promptVersion: string | null;
  runs: number;
  abstentions: number;
  reviews: number;
  accepted: number;
  modified: number;
  rejected: number;
  /** Mean squared error of the reviewed hypotheses' probabilities against acceptance. */
  brier: number | null;
  /** Expected calibration error over the reliability bins. */
  ece: number | null;
  reliability: ReliabilityBinSummary[];
};

/**
 * A replay run recorded by `npm run replay -- --record`, beside the live answer of its incident
 * (what the incident view shows, with its current review).
 *
 * @public
 */
export type ReplayRunSummary = {
  runId: string;
  incidentId: string;
  reasoner: string;
  model: string | null;
  promptVersion: string | null;
  createdAt: string;
  insufficientEvidence: boolean;
  /** The replay's best hypothesis (null when it abstained). */
  top: { rootCause: string; probability: number; origin: string | null } | null;
  /** The incident's live best hypothesis and its current review (null when none). */
  live: {
    rootCause: string;
    probability: number;
    decision: ReviewDecision | null;
  } | null;
};

/** `GET /quality?from=&to=`. @public */
export type TriageQualityResponse = {
  from: string;
  to: string;
  /** All live runs and their reviews together. */
  overall: TriageQualityRow;
  /** One row per purpose, reasoner, model and prompt version (live rows first). */
  byReasoner: TriageQualityRow[];
  /** The latest replay runs recorded in the range (at most 50), newest first. */
  replays: ReplayRunSummary[];
};
