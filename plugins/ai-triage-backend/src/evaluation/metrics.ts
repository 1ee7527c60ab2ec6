import {
  CONFIDENCE_CUTOFFS,
  CaseTruth,
  HypothesisDraft,
} from '@ai-triage/plugin-ai-triage-common';

/** What one reasoner answered on one case, and what it cost. */
export type CaseOutcome = {
  caseId: string;
  truth: CaseTruth;
  hypotheses: HypothesisDraft[];
  insufficientEvidence: boolean;
  latencyMs: number;
  /** Prompt and completion tokens of the LLM calls (null for the heuristic). */
  tokensIn: number | null;
  tokensOut: number | null;
  /** Set when the reasoner failed on the case; it then counts as an abstention. */
  error?: string;
};

/** One bin of the reliability table: hypotheses whose probability fell in [from, to). */
type ReliabilityBin = {
  from: number;
  to: number;
  count: number;
  /** Mean predicted probability in the bin (null when empty). */
  meanProbability: number | null;
  /** Share of the bin's hypotheses that were right (null when empty). */
  observed: number | null;
};

export type EvaluationSummary = {
  cases: number;
  /** Cases with a known cause (top-1/top-3 are over these). */
  causeCases: number;
  top1: number | null;
  top3: number | null;
  abstentionRate: number | null;
  noCauseCases: number;
  /** Share of no-cause cases that ended in an abstention. */
  abstentionAccuracy: number | null;
  /** Mean squared error of every hypothesis probability against whether it was right. */
  brier: number | null;
  /** Expected calibration error over the reliability bins. */
  ece: number | null;
  reliability: ReliabilityBin[];
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  tokensInPerCase: number | null;
  tokensOutPerCase: number | null;
  costPerCase: number | null;
  errors: number;
};

/** Prices per million tokens, for the cost column. */
export type TokenPrice = { inputPerMillion: number; outputPerMillion: number };

export const RELIABILITY_BINS = 5;

/** The service name a hypothesis names as origin: `origin`, else its first affected component. */
export function namedService(h: HypothesisDraft): string | null {
  const named = h.origin ?? h.affectedComponents[0];
  if (!named) return null;
  // Entity refs (component:default/payments) and plain names compare by name.
  return named.replace(/^[a-z]+:(?:[a-z0-9-]+\/)?/i, '').toLowerCase();
}

/**
 * Whether a hypothesis is right by the truth: 1 right, 0 wrong, null unknown (a rejected
 * review only says which service it was not).
 */
function hitOf(h: HypothesisDraft, truth: CaseTruth): 0 | 1 | null {
  if (truth.type === 'no-cause') return 0;
  const service = namedService(h);
  if (truth.type === 'not') {
    return service === truth.service.toLowerCase() ? 0 : null;
  }
  if (service !== truth.service.toLowerCase()) return 0;
  if (truth.keywords.length === 0) return 1;
  const text = `${h.rootCause} ${h.reasoning}`.toLowerCase();
  return truth.keywords.some(k => text.includes(k.toLowerCase())) ? 1 : 0;
}

/**
 * An abstention: the reasoner said the evidence is insufficient, answered nothing, or only
 * below the medium cut-off (the same reading as bench:scenarios).
 */
function abstainedOn(outcome: CaseOutcome): boolean {
  if (outcome.error || outcome.insufficientEvidence) return true;
  if (outcome.hypotheses.length === 0) return true;
  return outcome.hypotheses.every(h =>
    h.probability !== undefined
      ? h.probability < CONFIDENCE_CUTOFFS.medium
      : h.confidence === 'low',
  );
}

/** Nearest-rank percentile (p in 0..100) of the values; null when there are none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** A probability and whether it was right: the unit of Brier score and reliability. */
export type Forecast = { probability: number; hit: 0 | 1 };

export function brierScore(forecasts: Forecast[]): number | null {
  if (forecasts.length === 0) return null;
  return (
    forecasts.reduce((sum, f) => sum + (f.probability - f.hit) ** 2, 0) /
    forecasts.length
  );
}

/** Equal-width bins over [0, 1]; a probability of exactly 1 falls into the last bin. */
export function reliabilityBins(
  forecasts: Forecast[],
  bins = RELIABILITY_BINS,
): ReliabilityBin[] {
  return Array.from({ length: bins }, (_, i) => {
    const from = i / bins;
    const to = (i + 1) / bins;
    const inBin = forecasts.filter(f => binOf(f.probability, bins) === i);
    const count = inBin.length;
    return {
      from,
      to,
      count,
      meanProbability:
        count === 0
          ? null
          : inBin.reduce((s, f) => s + f.probability, 0) / count,
      observed:
        count === 0 ? null : inBin.reduce((s, f) => s + f.hit, 0) / count,
    };
  });
}

export function binOf(probability: number, bins = RELIABILITY_BINS): number {
  return Math.min(bins - 1, Math.floor(probability * bins));
}

/** Expected calibration error: the bins' |mean probability - observed|, weighted by count. */
export function expectedCalibrationError(
  bins: ReliabilityBin[],
): number | null {
  const total = bins.reduce((s, b) => s + b.count, 0);
  if (total === 0) return null;
  return bins.reduce(
    (sum, b) =>
      b.count === 0
        ? sum
        : sum + (b.count / total) * Math.abs(b.meanProbability! - b.observed!),
    0,
  );
}

/** Every hypothesis with a probability and a known outcome, over all cases. */
function forecastsOf(outcomes: CaseOutcome[]): Forecast[] {
  return outcomes.flatMap(o =>
    o.hypotheses.flatMap(h => {
      const hit = hitOf(h, o.truth);
      return h.probability === undefined || hit === null
        ? []
        : [{ probability: h.probability, hit }];
    }),
  );
}

const share = (n: number, d: number) => (d === 0 ? null : n / d);
const mean = (values: number[]) =>
  values.length === 0
    ? null
    : values.reduce((a, b) => a + b, 0) / values.length;

/** The replay's metrics over one reasoner's outcomes. */
export function summarizeOutcomes(
  outcomes: CaseOutcome[],
  price?: TokenPrice,
): EvaluationSummary {
  const cause = outcomes.filter(o => o.truth.type === 'cause');
  const ranks = cause.map(o =>
    o.hypotheses.findIndex(h => hitOf(h, o.truth) === 1),
  );
  const noCause = outcomes.filter(o => o.truth.type === 'no-cause');
  const forecasts = forecastsOf(outcomes);
  const reliability = reliabilityBins(forecasts);
  const latencies = outcomes.map(o => o.latencyMs);
  const withTokens = outcomes.filter(
    o => o.tokensIn !== null || o.tokensOut !== null,
  );
  const tokensIn = mean(withTokens.map(o => o.tokensIn ?? 0));
  const tokensOut = mean(withTokens.map(o => o.tokensOut ?? 0));
  return {
    cases: outcomes.length,
    causeCases: cause.length,
    top1: share(ranks.filter(r => r === 0).length, cause.length),
    top3: share(ranks.filter(r => r >= 0 && r < 3).length, cause.length),
    abstentionRate: share(outcomes.filter(abstainedOn).length, outcomes.length),
    noCauseCases: noCause.length,
    abstentionAccuracy: share(
      noCause.filter(abstainedOn).length,
      noCause.length,
    ),
    brier: brierScore(forecasts),
    ece: expectedCalibrationError(reliability),
    reliability,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    tokensInPerCase: tokensIn,
    tokensOutPerCase: tokensOut,
    costPerCase:
      price && tokensIn !== null && tokensOut !== null
        ? (tokensIn * price.inputPerMillion +
            tokensOut * price.outputPerMillion) /
          1_000_000
        : null,
    errors: outcomes.filter(o => o.error).length,
  };
}
