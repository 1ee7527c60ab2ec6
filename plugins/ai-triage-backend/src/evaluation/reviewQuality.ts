import { TriageQualityRow } from '@ai-triage/plugin-ai-triage-common';
import {
  Forecast,
  brierScore,
  expectedCalibrationError,
  reliabilityBins,
} from './metrics';
import { ReviewedHypothesis, RunCount, RunSource } from './ReviewQualityStore';

type RowKey = RunSource & { purpose: TriageQualityRow['purpose'] };

/** A review as a forecast outcome: accepted is right; modified and rejected are wrong. */
function forecastOfReview(r: ReviewedHypothesis): Forecast {
  return { probability: r.probability, hit: r.decision === 'accepted' ? 1 : 0 };
}

function rowOf(
  key: RowKey,
  reviewed: ReviewedHypothesis[],
  runs: RunCount[],
): TriageQualityRow {
  const forecasts = reviewed.map(forecastOfReview);
  const reliability = reliabilityBins(forecasts);
  const count = (d: string) => reviewed.filter(r => r.decision === d).length;
  return {
    purpose: key.purpose,
    reasoner: key.reasoner,
    model: key.model,
    promptVersion: key.promptVersion,
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

const keyText = (k: RowKey) =>
  JSON.stringify([
    k.purpose === 'live' ? 0 : 1,
    k.reasoner,
    k.model ?? '',
    k.promptVersion ?? '',
  ]);

const sameSource = (a: RunSource, b: RunSource) =>
  a.reasoner === b.reasoner &&
  a.model === b.model &&
  a.promptVersion === b.promptVersion;

/**
 * The quality page's numbers: all live runs together, then one row per purpose, reasoner,
 * model and prompt version (live first, then replay; reviews only ever belong to live runs).
 */
export function summarizeReviews(
  reviewed: ReviewedHypothesis[],
  runs: RunCount[],
): { overall: TriageQualityRow; byReasoner: TriageQualityRow[] } {
  const keys = new Map<string, RowKey>();
  for (const k of [
    ...runs,
    ...reviewed.map(r => ({ ...r, purpose: 'live' as const })),
  ]) {
    const key: RowKey = {
      purpose: k.purpose,
      reasoner: k.reasoner,
      model: k.model,
      promptVersion: k.promptVersion,
    };
    keys.set(keyText(key), key);
  }
  const liveRuns = runs.filter(r => r.purpose === 'live');
  return {
    overall: rowOf(
      { purpose: 'live', reasoner: 'all', model: null, promptVersion: null },
      reviewed,
      liveRuns,
    ),
    byReasoner: [...keys.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, key]) =>
        rowOf(
          key,
          key.purpose === 'live'
            ? reviewed.filter(r => sameSource(r, key))
            : [],
          runs.filter(r => r.purpose === key.purpose && sameSource(r, key)),
        ),
      ),
  };
}
