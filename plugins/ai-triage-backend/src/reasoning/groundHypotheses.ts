import {
  ContextDocument,
  HypothesisDraft,
  HypothesisSet,
  MISSING_BASELINE_PROBABILITY_CAP,
  confidenceOf,
  evidenceIdsOf,
  hypothesisSetSchema,
  probabilityOfLabel,
} from '@ai-triage/plugin-ai-triage-common';
import { contextBaselineMissing } from './heuristic/baseline';
import { withinBaselineNoise } from '../enrichment/computeMetricDeltas';
import { isNearLimit } from './heuristic/saturation';

/**
 * Keeps what a reasoner may claim, whichever reasoner answered:
 *
 * - the answer must match the shared schema (at most three hypotheses);
 * - evidence ids that the context does not have are removed, and a hypothesis left citing
 *   nothing is dropped; with none left the answer is "insufficient evidence", itself valid;
 * - every hypothesis has a `probability` (the label's midpoint when the reasoner gave none) and
 *   its `confidence` is derived from it by the fixed cut-offs, so label and number never
 *   disagree;
 * - an unknown baseline is never evidence of change: when the context has no usable baseline
 *   (`onset.baselineSufficient` false, or none), or the hypothesis names an origin whose own
 *   behaviour had none, its probability is capped at MISSING_BASELINE_PROBABILITY_CAP and its
 *   reasoning says so; except when it cites a saturation metric near its limit and not within
 *   its baseline's noise (see withinBaselineNoise), which is evidence without a baseline;
 * - hypotheses are ordered by probability (ties keep the reasoner's order).
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
    .filter(h => h.evidenceIds.length > 0)
    .map(h => capUnknownBaseline(h, context))
    .map((h, index) => ({ h, index }))
    .sort((a, b) => b.h.probability! - a.h.probability! || a.index - b.index)
    .map(({ h }) => h);
  return {
    hypotheses,
    insufficientEvidence:
      parsed.insufficientEvidence || hypotheses.length === 0,
  };
}

function capUnknownBaseline(
  hypothesis: HypothesisDraft,
  context: ContextDocument,
): HypothesisDraft {
  let probability =
    hypothesis.probability ?? probabilityOfLabel(hypothesis.confidence);
  let reasoning = hypothesis.reasoning;
  const missing = missingBaseline(hypothesis, context);
  if (missing && probability > MISSING_BASELINE_PROBABILITY_CAP) {
    probability = MISSING_BASELINE_PROBABILITY_CAP;
    if (!reasoning.includes('The baseline is missing')) {
      const note = ` The baseline is missing: ${missing}, so nothing here is evidence of a change and the probability stays low.`;
      reasoning = `${reasoning.slice(0, 2000 - note.length)}${note}`;
    }
  }
  return {
    ...hypothesis,
    reasoning,
    probability,
    confidence: confidenceOf(probability),
  };
}

/** Why the hypothesis rests on no baseline, or undefined when it has one or needs none. */
function missingBaseline(
  hypothesis: HypothesisDraft,
  context: ContextDocument,
): string | undefined {
  const nearLimit = context.metricDeltas.some(
    m =>
      hypothesis.evidenceIds.includes(m.id) &&
      isNearLimit(m) &&
      !withinBaselineNoise(m),
  );
  if (nearLimit) return undefined;
  const contextMissing = contextBaselineMissing(context);
  if (contextMissing) return contextMissing;
  const origin = context.localization?.suspects.find(
    s => s.service === hypothesis.origin,
  );
  if (origin && !origin.baselineKnown) {
    return `there is no baseline for the own behaviour of ${origin.service}`;
  }
  return undefined;
}
