import { createHash } from 'node:crypto';
import { LogTemplate } from '@ai-triage/plugin-ai-triage-common';
import { LogRecord } from '@ai-triage/plugin-ai-triage-node';
import { LogTemplateMiner } from './LogTemplateMiner';
import { redact } from './redact';
import { clip, compareText } from './stats';

/** Level names by rank, as the OpenTelemetry log data model's severity ranges name them. */
export const LOG_LEVELS = [
  'UNSPECIFIED',
  'TRACE',
  'DEBUG',
  'INFO',
  'WARN',
  'ERROR',
  'FATAL',
];

const MAX_TEMPLATE_LENGTH = 500;
const MAX_SAMPLE_LENGTH = 500;

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

type TemplateStats = {
  count: number;
  rank: number;
  firstMs: number;
  lastMs: number;
  /** The latest record at the most severe level. */
  sample: LogRecord;
};

/**
 * Log records mined into templates (see LogTemplateMiner): per template its count, most severe
 * level, first and last time seen, and one redacted sample; the template text is redacted too.
 * Ids are `log:` and a short hash of the template text, so the same template keeps its id across
 * incidents. Most severe first, then most frequent.
 */
export function summarizeLogs(logs: LogRecord[]): {
  logTemplates: LogTemplate[];
  redactions: number;
} {
  const ordered = [...logs].sort(
    (a, b) => a.timestampMs - b.timestampMs || compareText(a.body, b.body),
  );
  const miner = LogTemplateMiner.create();
  const byCluster = new Map<number, TemplateStats>();
  for (const log of ordered) {
    const clusterId = miner.add(log.body);
    const rank = levelRank(log);
    const stats = byCluster.get(clusterId);
    if (!stats) {
      byCluster.set(clusterId, {
        count: 1,
        rank,
        firstMs: log.timestampMs,
        lastMs: log.timestampMs,
        sample: log,
      });
      continue;
    }
    stats.count += 1;
    stats.lastMs = log.timestampMs;
    if (rank >= stats.rank) {
      stats.rank = rank;
      stats.sample = log;
    }
  }

  // Clusters whose templates ended up with the same (redacted) text are one piece of evidence.
  let redactions = 0;
  const byTemplate = new Map<string, TemplateStats>();
  for (const [clusterId, stats] of byCluster) {
    const redacted = redact(
      clip(miner.template(clusterId) ?? '', MAX_TEMPLATE_LENGTH),
    );
    redactions += redacted.count;
    const text = redacted.text;
    const existing = byTemplate.get(text);
    if (!existing) {
      byTemplate.set(text, stats);
      continue;
    }
    existing.count += stats.count;
    existing.firstMs = Math.min(existing.firstMs, stats.firstMs);
    existing.lastMs = Math.max(existing.lastMs, stats.lastMs);
    if (
      stats.rank > existing.rank ||
      (stats.rank === existing.rank &&
        stats.sample.timestampMs > existing.sample.timestampMs)
    ) {
      existing.rank = stats.rank;
      existing.sample = stats.sample;
    }
  }

  const ranked = [...byTemplate].sort(
    ([textA, a], [textB, b]) =>
      b.rank - a.rank || b.count - a.count || compareText(textA, textB),
  );
  const logTemplates = ranked.map(([text, stats]): LogTemplate => {
    const sample = redact(clip(stats.sample.body, MAX_SAMPLE_LENGTH));
    redactions += sample.count;
    return {
      id: `log:${shortHash(text)}`,
      template: text,
      level: LOG_LEVELS[stats.rank],
      count: stats.count,
      firstSeen: new Date(stats.firstMs).toISOString(),
      lastSeen: new Date(stats.lastMs).toISOString(),
      sample: sample.text,
    };
  });
  return { logTemplates, redactions };
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
