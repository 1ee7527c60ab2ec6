import { TriageQualityResponse } from '@ai-triage/plugin-ai-triage-common';

const rate = (n: number, d: number) => (d === 0 ? '' : (n / d).toFixed(4));
const num = (v: number | null) => (v === null ? '' : v.toFixed(4));

/** The quality table as CSV: one line per reasoner and one for all together. */
export function qualityCsv(quality: TriageQualityResponse): string {
  const header = [
    'reasoner',
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
    JSON.stringify(r.reasoner),
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
