import { EvaluationSummary } from './metrics';

const pct = (v: number | null) =>
  v === null ? '–' : `${(v * 100).toFixed(0)}%`;
const num = (v: number | null, digits = 3) =>
  v === null ? '–' : v.toFixed(digits);
const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)} ms`);

/** The replay's tables, one block per reasoner/model, as `npm run replay` prints them. */
export function formatReport(
  rows: Array<{ label: string; summary: EvaluationSummary }>,
): string {
  const lines: string[] = [];
  for (const { label, summary: s } of rows) {
    lines.push(
      `== ${label}: ${s.cases} cases (${s.causeCases} with a cause, ${s.noCauseCases} without)`,
    );
    lines.push(
      [
        `top-1 ${pct(s.top1)}`,
        `top-3 ${pct(s.top3)}`,
        `abstentions ${pct(s.abstentionRate)}`,
        `abstentions right on no-cause ${pct(s.abstentionAccuracy)}`,
        `Brier ${num(s.brier)}`,
        `ECE ${num(s.ece)}`,
      ].join(' | '),
    );
    lines.push(
      [
        `latency p50 ${ms(s.latencyP50Ms)}`,
        `p95 ${ms(s.latencyP95Ms)}`,
        `tokens in/out per case ${num(s.tokensInPerCase, 0)}/${num(
          s.tokensOutPerCase,
          0,
        )}`,
        `cost per case ${
          s.costPerCase === null ? '–' : `$${s.costPerCase.toFixed(5)}`
        }`,
        `errors ${s.errors}`,
      ].join(' | '),
    );
    lines.push('reliability  predicted  observed  hypotheses');
    for (const bin of s.reliability) {
      lines.push(
        `${bin.from.toFixed(1)}–${bin.to.toFixed(1)}      ${num(
          bin.meanProbability,
          2,
        ).padEnd(9)}  ${num(bin.observed, 2).padEnd(8)}  ${bin.count}`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
