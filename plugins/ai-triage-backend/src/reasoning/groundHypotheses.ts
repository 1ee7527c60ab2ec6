import {
  ContextDocument,
  HypothesisSet,
  evidenceIdsOf,
  hypothesisSetSchema,
} from '@ai-triage/plugin-ai-triage-common';

/**
 * Keeps what a reasoner may claim: the answer must match the shared schema (at most three
 * hypotheses, best first), evidence ids that the context does not have are removed, and a
 * hypothesis left citing nothing is dropped. With no hypothesis left the answer is
 * "insufficient evidence", itself a valid outcome.
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
      evidenceIds: [...new Set(h.evidenceIds.filter(id => known.has(id)))],
    }))
    .filter(h => h.evidenceIds.length > 0);
  return {
    hypotheses,
    insufficientEvidence:
      parsed.insufficientEvidence || hypotheses.length === 0,
  };
}
