import { LogRecord } from '@ai-triage/plugin-ai-triage-node';

/**
 * Rank of a record's level, 0 (unspecified) to 6 (fatal): from its SeverityNumber, else from
 * the words its severity text uses.
 */
export function levelRank(
  log: Pick<LogRecord, 'severityNumber' | 'severityText'>,
): number {
  if (log.severityNumber >= 1 && log.severityNumber <= 24) {
    return Math.ceil(log.severityNumber / 4);
  }
  const text = log.severityText.toLowerCase();
  if (/fatal|crit|emerg|alert|panic/.test(text)) return 6;
  if (/err|severe/.test(text)) return 5;
  if (/warn/.test(text)) return 4;
  if (/info|notice/.test(text)) return 3;
  if (/debug|fine/.test(text)) return 2;
  if (/trace/.test(text)) return 1;
  return 0;
}
