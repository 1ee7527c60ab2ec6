import { TriageQualityRow } from '@ai-triage/plugin-ai-triage-common';
import {
  Forecast,
  brierScore,
  expectedCalibrationError,
  reliabilityBins,
} from './metrics';
import { ReviewedHypothesis, RunCount } from './ReviewQualityStore';

/** A review as a forecast outcome: accepted is right; modified and rejected are wrong. */
export function forecastOfReview(r: ReviewedHypothesis): Forecast {
  return { probability: r.probability, hit: r.decision === 'accepted' ? 1 : 0 };
}

function rowOf(
  reasoner: string,
  reviewed: ReviewedHypothesis[],
  runs: RunCount[],
): TriageQualityRow {
  const forecasts = reviewed.map(forecastOfReview);
  const reliability = reliabilityBins(forecasts);
  const count = (d: string) => reviewed.filter(r => r.decision === d).length;
  return {
    reasoner,
    runs: runs.reduce((s, r) => s + r.runs, 0),
    abstentions: runs.reduce((s, r) => s + r.abstentions, 0),
    reviews: reviewed.length,
    accepted: count('accepted'),
    modified: count('modified'),
    rejected: count('rejected'),
    brier: brierScore(forecasts),
    ece: expectedCalibrationError(reliability),
    reliability,
  };
}

/** The quality page's numbers: all reasoners together, then each reasoner. */
export function summarizeReviews(
  reviewed: ReviewedHypothesis[],
  runs: RunCount[],
): { overall: TriageQualityRow; byReasoner: TriageQualityRow[] } {
  const reasoners = [
    ...new Set([
      ...runs.map(r => r.reasoner),
      ...reviewed.map(r => r.reasoner),
    ]),
  ].sort();
  return {
    overall: rowOf('all', reviewed, runs),
    byReasoner: reasoners.map(name =>
      rowOf(
        name,
        reviewed.filter(r => r.reasoner === name),
        runs.filter(r => r.reasoner === name),
      ),
    ),
  };
}
