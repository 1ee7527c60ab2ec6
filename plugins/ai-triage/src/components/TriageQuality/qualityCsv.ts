import { TriageQualityResponse } from '@ai-triage/plugin-ai-triage-common';

const rate = (n: number, d: number) => (d === 0 ? '' : (n / d).toFixed(4));
const num = (v: number | null) => (v === null ? '' : v.toFixed(4));

/**
 * The quality table as CSV: one line per purpose, reasoner, model and prompt version, and one
 * for all live runs together (reasoner `all`). Empty model / prompt version: none (heuristic).
 */
export function qualityCsv(quality: TriageQualityResponse): string {
  const header = [
    'purpose',
    'reasoner',
    'model',
    'prompt_version',
    'from',
    'to',
    'runs',
    'abstentions',
    'abstention_rate',
    'reviews',
    'accepted',
    'modified',
    'rejected',
    'acceptance_rate',
    'modification_rate',
    'rejection_rate',
    'brier',
    'ece',
  ];
  const rows = [...quality.byReasoner, quality.overall].map(r => [
    r.purpose,
    JSON.stringify(r.reasoner),
    r.model === null ? '' : JSON.stringify(r.model),
    r.promptVersion === null ? '' : JSON.stringify(r.promptVersion),
    quality.from,
    quality.to,
    r.runs,
    r.abstentions,
    rate(r.abstentions, r.runs),
    r.reviews,
    r.accepted,
    r.modified,
    r.rejected,
    rate(r.accepted, r.reviews),
    rate(r.modified, r.reviews),
    rate(r.rejected, r.reviews),
    num(r.brier),
    num(r.ece),
  ]);
  return `${[header, ...rows].map(line => line.join(',')).join('\n')}\n`;
}
