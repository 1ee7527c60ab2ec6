import {
  ContextDocument,
  FaultKind,
  HypothesisDraft,
  HypothesisSet,
  MISSING_BASELINE_PROBABILITY_CAP,
  confidenceOf,
} from '@ai-triage/plugin-ai-triage-common';
import { contextBaselineMissing } from './baseline';
import { clip, unique } from './text';

/**
 * A possible root cause found by one rule family, with how strongly its evidence supports it.
 *
 * `strength` is the rule's evidence strength in 0..1 before the baseline cap; every rule says in
 * a comment how it is built. Scoring turns strengths into probabilities (see {@link rank}).
 */
export type Candidate = {
  strength: number;
  /** Breaks ties between equally strong candidates: lower first. */
  order: number;
  /** The rule family that made it (for the record, and for calibration per family). */
  rule: string;
  kind: FaultKind;
  /** The service where the fault began by this rule's reading. */
  origin: string;
  hypothesis: Omit<
    HypothesisDraft,
    'confidence' | 'probability' | 'kind' | 'origin'
  >;
  /** Evidence this cause accounts for, which then makes no hypothesis of its own. */
  explains?: string[];
  /**
   * Why the comparison it rests on has no baseline (set by the rule when the items it read have
   * none). Such a candidate is capped at MISSING_BASELINE_PROBABILITY_CAP.
   */
  baselineMissing?: string;
  /**
   * Whether its evidence holds without any baseline (a saturation metric near its limit): then
   * neither its own nor the context's missing baseline caps it.
   */
  baselineFree?: boolean;
};

/** The most a heuristic claims: no rule reads enough to be certain. */
const MAX_PROBABILITY = 0.95;
const MIN_PROBABILITY = 0.05;

/**
 * Turns candidates into the answer: at most three hypotheses, most probable first.
 *
 * 1. Each candidate's probability starts at its evidence strength, clamped to 0.05..0.95.
 * 2. **Missing baseline.** When the context has no usable baseline (`onset.baselineSufficient`
 *    false, or none at all) or the items a rule read have none, the candidate is capped at
 *    MISSING_BASELINE_PROBABILITY_CAP (0.3, always `low`) and its reasoning says the baseline is
 *    missing: an unknown baseline is never evidence of change. Candidates whose evidence needs
 *    no baseline (a value near its limit) are exempt.
 * 3. **One fault.** The hypotheses are alternatives for one fault, so their probabilities add up
 *    to at most 1: the first keeps its own, the others share what is left in proportion to
 *    theirs (never more than their own). Order is kept.
 * 4. `confidence` is `confidenceOf(probability)` (the cut-offs in `-common`).
 *
 * A candidate citing no evidence id is no hypothesis (the schema requires one): it is left out.
 */
export function rank(
  candidates: Candidate[],
  context: ContextDocument,
): HypothesisSet {
  const contextMissing = contextBaselineMissing(context);
  const scored = candidates
    .filter(candidate => candidate.hypothesis.evidenceIds.length > 0)
    .map(candidate => {
      const missing = candidate.baselineFree
        ? undefined
        : contextMissing ?? candidate.baselineMissing;
      let probability = Math.min(
        MAX_PROBABILITY,
        Math.max(MIN_PROBABILITY, candidate.strength),
      );
      if (missing) {
        probability = Math.min(probability, MISSING_BASELINE_PROBABILITY_CAP);
      }
      return { candidate, probability, missing };
    });
  scored.sort(
    (a, b) =>
      b.probability - a.probability || a.candidate.order - b.candidate.order,
  );
  const top = scored.slice(0, 3);
  const first = top[0]?.probability ?? 0;
  const others = top.slice(1).reduce((sum, s) => sum + s.probability, 0);
  const share = others > 0 ? Math.min(1, (1 - first) / others) : 1;

  const hypotheses = top.map(
    ({ candidate, probability, missing }, index): HypothesisDraft => {
      const p = round2(index === 0 ? probability : probability * share);
      const { hypothesis } = candidate;
      return {
        ...hypothesis,
        rootCause: clip(hypothesis.rootCause, 500),
        reasoning: clip(
          missing
            ? `${hypothesis.reasoning} The baseline is missing: ${missing}, so nothing here is evidence of a change and the probability stays low.`
            : hypothesis.reasoning,
          2000,
        ),
        affectedComponents: unique([
          candidate.origin,
          ...hypothesis.affectedComponents,
        ]).slice(0, 10),
        diagnosticSteps: hypothesis.diagnosticSteps.slice(0, 10),
        evidenceIds: unique(hypothesis.evidenceIds),
        probability: p,
        confidence: confidenceOf(p),
        kind: candidate.kind,
        origin: candidate.origin,
      };
    },
  );
  return { hypotheses, insufficientEvidence: hypotheses.length === 0 };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Kinds that say only that a service got slow or fails, not how. */
export const GENERIC_KINDS: ReadonlySet<FaultKind | null> = new Set([
  'latency',
  'errors',
  'unknown',
  null,
]);

/**
 * Evidence strength from a robust anomaly score (|x - median| / (1.4826 MAD) of the baseline, as
 * BARO computes it): 0 up to 3 (the usual three-sigma bar of a robust z-score, under which
 * baseline noise stays), rising towards 1 with a half-saturation at 9 (three times the bar).
 */
export function anomalyStrength(score: number): number {
  const excess = Math.max(0, score - 3);
  return excess / (excess + 6);
}
