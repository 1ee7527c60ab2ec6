/** Nearest-rank percentile (q in 0..1) of values sorted ascending; 0 for none. */
export function percentile(sortedValues: number[], q: number): number {
  if (sortedValues.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sortedValues.length));
  return sortedValues[Math.min(rank, sortedValues.length) - 1];
}

/** Rounds to a fixed number of decimals, so documents stay short and byte-stable. */
export function round(value: number, decimals = 3): number {
  const factor = 10 ** decimals;
  const rounded = Math.round(value * factor) / factor;
  return Object.is(rounded, -0) ? 0 : rounded;
}

/** Rounds to a number of significant digits, for values of any magnitude. */
export function roundSignificant(value: number, digits = 6): number {
  return value === 0 ? 0 : Number(value.toPrecision(digits));
}

/** Cuts text to at most `max` characters, marking the cut with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Compares strings by code unit, independent of the locale. */
export function compareText(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

export function median(values: number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** 1.4826 x MAD estimates the standard deviation of normal data. */
const MAD_TO_SIGMA = 1.4826;

/**
 * Robust z of `value` against the baseline (BARO's score): its distance from the baseline's
 * median in scaled MADs, the scale at least `floorOf(median)` (a healthy series is often
 * constant, MAD 0, so every caller names its noise floor). 0 when the scale is 0.
 */
export function robustZ(
  baseline: number[],
  value: number,
  floorOf: (baselineMedian: number) => number,
): number {
  const med = median(baseline);
  const mad = median(baseline.map(v => Math.abs(v - med)));
  const scale = Math.max(MAD_TO_SIGMA * mad, floorOf(med));
  return scale === 0 ? 0 : (value - med) / scale;
}
