import {
  ContextDocument,
  DependencySummary,
  LogTemplate,
  OperationSummary,
} from '@ai-triage/plugin-ai-triage-common';

/**
 * Comparisons against the baseline. Each answers `changed`, `unchanged` or `unknown`: an unknown
 * baseline (no data before the onset, or too little) is never evidence of change. A rule may
 * still name a suspect on `unknown`, but scoring.ts caps its probability and says why.
 */
type Comparison = 'changed' | 'unchanged' | 'unknown';

/**
 * A dependency counts as slower when its p95 grew by half and by at least 20 ms: 1.5x is above
 * the run-to-run spread of a p95 over a few hundred calls (the simulated scenarios' healthy
 * baselines vary by up to ~30% between seeds), and 20 ms keeps sub-millisecond jitter of fast
 * calls from counting.
 */
export const MIN_LATENCY_GROWTH = 1.5;
export const MIN_LATENCY_GROWTH_MS = 20;
/**
 * An error rate counts as grown when it at least doubled and rose by 5 points: doubling is the
 * usual alerting multiplier for burn rates, and 5 points keeps a 0.1% -> 0.3% wobble from
 * counting.
 */
export const MIN_ERROR_RATE = 0.05;
export const MIN_ERROR_COUNT = 3;
/** A template spiked when it is at least twice as frequent plus five records as in the baseline. */
export const MIN_TEMPLATE_SPIKE = 5;

/** Whether a dependency got slower than in the baseline. */
export function dependencyLatency(dep: DependencySummary): Comparison {
  if (dep.baselineP95Ms === undefined || dep.baselineP95Ms === null) {
    return 'unknown';
  }
  return dep.p95Ms >= MIN_LATENCY_GROWTH * dep.baselineP95Ms &&
    dep.p95Ms - dep.baselineP95Ms >= MIN_LATENCY_GROWTH_MS
    ? 'changed'
    : 'unchanged';
}

/** Whether a dependency fails more than in the baseline. */
export function dependencyErrors(dep: DependencySummary): Comparison {
  if (
    dep.baselineErrorCount === undefined ||
    dep.baselineCallCount === undefined ||
    dep.baselineCallCount === 0
  ) {
    return 'unknown';
  }
  return dep.errorRate >=
    2 * (dep.baselineErrorCount / dep.baselineCallCount) + MIN_ERROR_RATE
    ? 'changed'
    : 'unchanged';
}

/** Whether an operation fails more than in the baseline. */
export function operationErrors(operation: OperationSummary): Comparison {
  if (
    operation.baselineErrorCount === undefined ||
    operation.baselineSpanCount === undefined ||
    operation.baselineSpanCount === 0
  ) {
    return 'unknown';
  }
  const baselineRate =
    operation.baselineErrorCount / operation.baselineSpanCount;
  return operation.errorRate >= 2 * baselineRate + MIN_ERROR_RATE
    ? 'changed'
    : 'unchanged';
}

/** Whether an operation got slower than in the baseline (same bar as dependencies). */
export function operationLatency(operation: OperationSummary): Comparison {
  if (
    operation.baselineP95Ms === undefined ||
    operation.baselineP95Ms === null
  ) {
    return 'unknown';
  }
  return operation.p95Ms >= MIN_LATENCY_GROWTH * operation.baselineP95Ms &&
    operation.p95Ms - operation.baselineP95Ms >= MIN_LATENCY_GROWTH_MS
    ? 'changed'
    : 'unchanged';
}

/** Whether a template is new in the incident window (0 records in the baseline). */
export function templateNew(template: LogTemplate): Comparison {
  if (template.baselineCount === undefined) return 'unknown';
  return template.baselineCount === 0 ? 'changed' : 'unchanged';
}

/**
 * A rise of a template's count counts only when a steady template would rarely show it: the
 * conventional 5 % level of a one-sided test (see templateSpiked).
 */
const TEMPLATE_SPIKE_SIGNIFICANCE = 0.05;

/**
 * Whether a template occurs clearly more often than in the baseline: at least twice as many
 * records plus five (a new template has 0 there), and more than the windows' lengths explain.
 * Records of a steady template fall in each window in proportion to its length: of the n
 * records of both, the incident window's count is binomial(n, window / (window + baseline)).
 * When at least as many as seen fall there with a probability of 5 % or more (a one-sided
 * binomial test), the baseline was too short to show the template is new or spiked (5 records
 * in two minutes, none in the minute before): `unknown`, never evidence. The windows are the
 * context's; log counts may start up to one bucket before the onset (logLeadFor), which makes
 * the test a little more lenient, never stricter.
 */
export function templateSpiked(
  template: LogTemplate,
  context: Pick<ContextDocument, 'window' | 'baselineWindow'>,
): Comparison {
  if (template.baselineCount === undefined) return 'unknown';
  if (template.count < 2 * template.baselineCount + MIN_TEMPLATE_SPIKE) {
    return 'unchanged';
  }
  const lengthOf = (w: { from: string; to: string }) =>
    Date.parse(w.to) - Date.parse(w.from);
  const windowMs = lengthOf(context.window);
  const baselineMs = lengthOf(context.baselineWindow);
  if (!(windowMs > 0) || !(baselineMs > 0)) return 'unknown';
  return binomialTail(
    template.count + template.baselineCount,
    template.count,
    windowMs / (windowMs + baselineMs),
  ) < TEMPLATE_SPIKE_SIGNIFICANCE
    ? 'changed'
    : 'unknown';
}

/** P(X >= k) for X ~ binomial(n, p), 0 < p < 1, summed in log space (n may be large). */
export function binomialTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  // log of C(n, k) p^k (1-p)^(n-k), then each next term by the ratio of consecutive terms.
  let logTerm = k * Math.log(p) + (n - k) * Math.log1p(-p);
  for (let i = 1; i <= k; i++) logTerm += Math.log((n - k + i) / i);
  let tail = 0;
  for (let j = k; j <= n; j++) {
    const term = Math.exp(logTerm);
    tail += term;
    if (term < tail * 1e-12 && j > n * p) break;
    logTerm += Math.log(((n - j) / (j + 1)) * (p / (1 - p)));
  }
  return Math.min(1, tail);
}

/**
 * Why the whole context has no usable baseline, or undefined when it has one (or says nothing
 * about it: documents made before onset detection carry per-item baselines only).
 */
export function contextBaselineMissing(
  context: ContextDocument,
): string | undefined {
  const onset = context.onset;
  if (!onset) return undefined;
  if (onset.baselineSource === 'none' || onset.baselineMinutes <= 0) {
    return 'there is no baseline before the onset to compare with';
  }
  if (!onset.baselineSufficient) {
    return `the baseline before the onset is too short (${onset.baselineMinutes} min of data)`;
  }
  return undefined;
}

/** `changed` or `unknown`: a rule may fire, unknown ones are capped by scoring. */
export function notUnchanged(comparison: Comparison): boolean {
  return comparison !== 'unchanged';
}
