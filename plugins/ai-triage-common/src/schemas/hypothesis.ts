import { z } from 'zod';
import { FAULT_KINDS } from './localization';

/** @public */
export const CONFIDENCE_LEVELS = ['low', 'medium', 'high'] as const;

/**
 * One root-cause hypothesis as a reasoner produces it. Every hypothesis cites at least one
 * evidence id of the context document it was made from.
 *
 * @public
 */
export const hypothesisDraftSchema = z.object({
  rootCause: z.string().min(1).max(500),
  /**
   * The services (or components) the cause involves: the probable origin first, then the path
   * from it back to the alerted service.
   */
  affectedComponents: z.array(z.string().min(1)).max(10),
  confidence: z.enum(CONFIDENCE_LEVELS),
  /**
   * The probability (0..1) that this hypothesis names the fault; `confidence` is derived from it
   * by {@link CONFIDENCE_CUTOFFS}. Absent on hypotheses stored before probabilities.
   */
  probability: z.number().min(0).max(1).optional(),
  /** The kind of fault it names. */
  kind: z.enum(FAULT_KINDS).optional(),
  /** The service where the fault began, when the hypothesis names one. */
  origin: z.string().min(1).optional(),
  reasoning: z.string().max(2000),
  diagnosticSteps: z.array(z.string().min(1)).max(10),
  evidenceIds: z.array(z.string().min(1)).min(1),
});

/**
 * A reasoner's answer: up to three hypotheses, best first. An empty list with
 * `insufficientEvidence` set is a valid outcome.
 *
 * @public
 */
export const hypothesisSetSchema = z.object({
  hypotheses: z.array(hypothesisDraftSchema).max(3),
  insufficientEvidence: z.boolean(),
});

/** @public */
export type HypothesisDraft = z.infer<typeof hypothesisDraftSchema>;
/** @public */
export type HypothesisSet = z.infer<typeof hypothesisSetSchema>;

/** @public */
export const REVIEW_DECISIONS = ['accepted', 'modified', 'rejected'] as const;
/** @public */
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/**
 * The body of a review: Accept, Modify (with the corrected root cause) or Reject (with a reason).
 *
 * @public
 */
export const reviewRequestSchema = z
  .strictObject({
    decision: z.enum(REVIEW_DECISIONS),
    comment: z.string().max(2000).optional(),
    modifiedRootCause: z.string().min(1).max(500).optional(),
    /** The corrected affected components, when the reviewer changed them. */
    modifiedAffectedComponents: z
      .array(z.string().min(1).max(200))
      .max(10)
      .optional(),
    /** The corrected diagnostic steps, when the reviewer changed them. */
    modifiedDiagnosticSteps: z
      .array(z.string().min(1).max(500))
      .max(10)
      .optional(),
  })
  .superRefine((review, ctx) => {
    for (const field of [
      'modifiedAffectedComponents',
      'modifiedDiagnosticSteps',
    ] as const) {
      if (review.decision !== 'modified' && review[field]) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: 'is only allowed when decision is "modified"',
        });
      }
    }
    if (review.decision === 'modified' && !review.modifiedRootCause) {
      ctx.addIssue({
        code: 'custom',
        path: ['modifiedRootCause'],
        message: 'is required when decision is "modified"',
      });
    }
    if (review.decision !== 'modified' && review.modifiedRootCause) {
      ctx.addIssue({
        code: 'custom',
        path: ['modifiedRootCause'],
        message: 'is only allowed when decision is "modified"',
      });
    }
  });

/** @public */
export type ReviewRequest = z.infer<typeof reviewRequestSchema>;

/** @public */
export type Review = {
  id: string;
  hypothesisId: string;
  decision: ReviewDecision;
  comment: string | null;
  modifiedRootCause: string | null;
  /** Set when a modifying reviewer corrected the affected components. */
  modifiedAffectedComponents?: string[] | null;
  /** Set when a modifying reviewer corrected the diagnostic steps. */
  modifiedDiagnosticSteps?: string[] | null;
  reviewer: string;
  createdAt: string;
};

/** @public */
export type Hypothesis = HypothesisDraft & {
  id: string;
  rank: number;
  reasoner: string;
  createdAt: string;
  /** The latest review, if any. */
  review: Review | null;
  /** Every review of the hypothesis, oldest first (who reviewed what and when). */
  reviewHistory?: Review[];
};

/**
 * The events-service topic on which every finished triage is published.
 *
 * @public
 */
export const AI_TRIAGE_RESULTS_TOPIC = 'ai-triage.results';

/**
 * The payload of an `ai-triage.results` event: what a triage run concluded about an incident.
 * `degraded` is set when the configured reasoner failed and the heuristic fallback answered.
 *
 * @public
 */
export type TriageResultEvent = {
  incidentId: string;
  runId: string;
  entityRef: string | null;
  serviceName: string;
  title: string;
  severity: string;
  reasoner: string;
  degraded: boolean;
  degradedReason: string | null;
  insufficientEvidence: boolean;
  hypotheses: Array<
    Pick<
      HypothesisDraft,
      'rootCause' | 'confidence' | 'evidenceIds' | 'kind' | 'origin'
    > & {
      rank: number;
      /** 0..1; the confidence label is derived from it. */
      probability: number;
    }
  >;
  createdAt: string;
};
