import { z } from 'zod';

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
  affectedComponents: z.array(z.string().min(1)).max(10),
  confidence: z.enum(CONFIDENCE_LEVELS),
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
  .object({
    decision: z.enum(REVIEW_DECISIONS),
    comment: z.string().max(2000).optional(),
    modifiedRootCause: z.string().min(1).max(500).optional(),
  })
  .strict()
  .superRefine((review, ctx) => {
    if (review.decision === 'modified' && !review.modifiedRootCause) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['modifiedRootCause'],
        message: 'is required when decision is "modified"',
      });
    }
    if (review.decision !== 'modified' && review.modifiedRootCause) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
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
};
