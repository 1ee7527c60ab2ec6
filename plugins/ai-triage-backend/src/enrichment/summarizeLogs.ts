import { createHash } from 'node:crypto';
import { LogTemplate } from '@ai-triage/plugin-ai-triage-common';
import { LogRecord } from '@ai-triage/plugin-ai-triage-node';
import { LogShapeCount } from '../telemetry/TelemetryStore';
import { LogTemplateMiner, MessageShapes } from '../telemetry/LogTemplateMiner';
import { levelRank } from '../telemetry/logLevel';
import { logShapeKey } from '../telemetry/logShapeKey';
import { RedactionTally, Redactor } from './redact';
import { clip, compareText } from './stats';
import { SpanLinker } from './summarizeSpans';

/** Level names by rank, as the OpenTelemetry log data model's severity ranges name them. */
const LOG_LEVELS = [
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
/** Trace ids kept per template. */
const MAX_TRACE_IDS = 3;

/** What the incident window holds of one shape or template. */
type WindowStats = {
  count: number;
  rank: number;
  firstMs: number;
  lastMs: number;
  /** The latest record at the most severe level (ties: the greater body). */
  sample: LogRecord;
  /** Records with a trace id, the smallest trace ids first, at most MAX_TRACE_IDS. */
  traced: LogRecord[];
};

type ShapeStats = {
  /** The first record of the shape (in either window): the one that is mined. */
  first: LogRecord;
  current: WindowStats | null;
  baselineCount: number;
};

/**
 * Logs a provider counted as they arrived (see LogShapeCountSource): template counts come from
 * the counts, exactly; the records it returned give samples and trace ids only.
 */
export type CountedLogs = {
  current: LogShapeCount[];
  /** Undefined when the baseline window was not read. */
  baseline?: LogShapeCount[];
  /**
   * Records of the counted incident window (a capped sample), not counted again; a record whose
   * shape has no count (stored before counts were kept) is counted from the sample.
   */
  sampled: LogRecord[];
};

/** What summarizeLogs needs besides the records. */
type LogSummaryOptions = {
  redactor: Redactor;
  tally: RedactionTally;
  /** Ties a record's trace and span id to operations and dependencies. */
  link?: SpanLinker;
  /** Baseline records counted one by one; above it `baselineCount` comes from a sample. */
  maxBaselineLogs?: number;
  /** Logs counted as they arrived, besides the records counted one by one. */
  counted?: CountedLogs;
};

/** Default of `maxBaselineLogs`. */
const MAX_BASELINE_LOGS = 100_000;

/**
 * Whether a record is in a 1-in-`stride` sample, by its timestamp alone (so the sample does not
 * depend on the order of the records): the high bits of a multiplicative hash of it.
 */
function inSample(timestampMs: number, stride: number): boolean {
  const hash = Math.imul(timestampMs % 4294967296 | 0, 0x9e3779b1) >>> 0;
  return hash < 4294967296 / stride;
}

/**
 * Log records mined into templates (see LogTemplateMiner) after redaction: per template its count in the
 * incident window and in the baseline window, most severe level, first and last time seen, one
 * redacted sample, up to three trace ids and the operations and dependencies those records were
 * written in; the template text is redacted too. Ids are `log:` and a short hash of the template
 * text, so the same template keeps its id across incidents. Most severe first, then the largest
 * growth over the baseline, then most frequent.
 *
 * A baseline of more than `maxBaselineLogs` records (default 100,000) is counted from a sample of
 * its records chosen by timestamp (order-independent), its counts scaled up; a note says so.
 *
 * Cost grows with the number of distinct message shapes, not records: records are grouped by
 * shape (see MessageShapes) in one pass, and one record per shape is mined, in order of first
 * appearance (ties by text), so the result does not depend on the order of the input. Counted
 * logs (`options.counted`) join as one shape per shape key, mined from its example.
 */
export function summarizeLogs(
  logs: LogRecord[],
  /** The baseline window's records; undefined when it was not read (no `baselineCount` then). */
  baselineLogs: LogRecord[] | undefined,
  options: LogSummaryOptions,
): { logTemplates: LogTemplate[]; notes: string[] } {
  const { redactor, tally, link } = options;
  const shapes = new MessageShapes<ShapeStats>();
  const all: ShapeStats[] = [];
  let record: LogRecord;
  const newShape = (): ShapeStats => {
    const created = { first: record, current: null, baselineCount: 0 };
    all.push(created);
    return created;
  };
  // The baseline only tells new templates from steady ones: past a size, a sample counts it.
  const baselineSize = baselineLogs?.length ?? 0;
  const maxBaseline = options.maxBaselineLogs ?? MAX_BASELINE_LOGS;
  const stride =
    baselineSize > maxBaseline ? Math.ceil(baselineSize / maxBaseline) : 1;
  const notes =
    stride > 1
      ? [`logs: baseline counted from a sample of 1 in ${stride} records`]
      : [];
  for (const log of baselineLogs ?? []) {
    if (stride > 1 && !inSample(log.timestampMs, stride)) continue;
    record = log;
    const stats = shapes.valueOf(log.body, newShape);
    stats.baselineCount += stride;
    if (earlier(log, stats.first)) stats.first = log;
  }
  for (const log of logs) {
    record = log;
    const stats = shapes.valueOf(log.body, newShape);
    if (earlier(log, stats.first)) stats.first = log;
    const rank = levelRank(log);
    if (!stats.current) {
      stats.current = {
        count: 1,
        rank,
        firstMs: log.timestampMs,
        lastMs: log.timestampMs,
        sample: log,
        traced: log.traceId ? [log] : [],
      };
    } else {
      addRecord(stats.current, log, rank);
    }
  }
  if (options.counted) all.push(...countedShapes(options.counted));

  // Mine one record per shape, oldest first, so templates grow as they would online.
  const ordered = all.sort((a, b) => (earlier(a.first, b.first) ? -1 : 1));
  const miner = LogTemplateMiner.create();
  const byCluster = new Map<
    number,
    { current: WindowStats | null; baselineCount: number }
  >();
  // Messages are redacted before they are mined, so that no template keeps a piece of a secret
  // the masks cut up (`db-<*>.corp.internal`); each shape's redactions count once.
  const shapeClusters = ordered.map(stats =>
    miner.add(redactor.redact(stats.first.body, tally)),
  );
  ordered.forEach((stats, i) => {
    const clusterId = miner.canonicalId(shapeClusters[i]);
    const cluster = byCluster.get(clusterId);
    if (!cluster) {
      byCluster.set(clusterId, {
        current: stats.current && { ...stats.current },
        baselineCount: stats.baselineCount,
      });
    } else {
      cluster.baselineCount += stats.baselineCount;
      cluster.current = mergeWindows(cluster.current, stats.current);
    }
  });

  // Clusters whose templates ended up with the same (redacted) text are one piece of evidence.
  const byTemplate = new Map<
    string,
    { current: WindowStats; baselineCount: number }
  >();
  for (const [clusterId, cluster] of byCluster) {
    const text = redactor.redact(
      clip(miner.template(clusterId) ?? '', MAX_TEMPLATE_LENGTH),
      tally,
    );
    const existing = byTemplate.get(text);
    if (!existing) {
      if (cluster.current) {
        byTemplate.set(text, {
          current: cluster.current,
          baselineCount: cluster.baselineCount,
        });
      } else {
        // Seen only in the baseline: counted in case a current cluster shares its text.
        byTemplate.set(text, {
          current: emptyWindow(),
          baselineCount: cluster.baselineCount,
        });
      }
      continue;
    }
    existing.baselineCount += cluster.baselineCount;
    existing.current =
      mergeWindows(existing.current, cluster.current) ?? existing.current;
  }

  const ranked = [...byTemplate]
    .filter(([, stats]) => stats.current.count > 0)
    .sort(
      ([textA, a], [textB, b]) =>
        b.current.rank - a.current.rank ||
        b.current.count -
          b.baselineCount -
          (a.current.count - a.baselineCount) ||
        b.current.count - a.current.count ||
        compareText(textA, textB),
    );
  const logTemplates = ranked.map(
    ([text, { current, baselineCount }]): LogTemplate => {
      const related = new Set<string>();
      if (link) {
        for (const log of current.traced) {
          for (const id of link(log.traceId!, log.spanId)) related.add(id);
        }
      }
      return {
        id: `log:${shortHash(text)}`,
        template: text,
        level: LOG_LEVELS[current.rank],
        count: current.count,
        firstSeen: new Date(current.firstMs).toISOString(),
        lastSeen: new Date(current.lastMs).toISOString(),
        sample: redactor.redact(
          clip(current.sample.body, MAX_SAMPLE_LENGTH),
          tally,
        ),
        ...(baselineLogs || options.counted?.baseline ? { baselineCount } : {}),
        traceIds: current.traced.map(log => log.traceId!),
        relatedIds: [...related].sort(compareText),
      };
    },
  );
  return { logTemplates, notes };
}

/**
 * One ShapeStats per shape key of the counted logs: counts, level and first and last time from
 * the counts; the sample the most severe record sampled, else the example of the most severe
 * count; trace ids the smallest of the sampled records' and the counts' own.
 */
function countedShapes(counted: CountedLogs): ShapeStats[] {
  type Group = {
    first: LogRecord;
    counts: LogShapeCount[];
    baselineCount: number;
    sampled: WindowStats | null;
  };
  const groups = new Map<string, Group>();
  const groupOf = (shapeKey: string, first: LogRecord): Group => {
    let group = groups.get(shapeKey);
    if (!group) {
      group = { first, counts: [], baselineCount: 0, sampled: null };
      groups.set(shapeKey, group);
    } else if (earlier(first, group.first)) {
      group.first = first;
    }
    return group;
  };
  for (const count of counted.baseline ?? []) {
    groupOf(
      count.shapeKey,
      exampleRecord(count, count.firstMs),
    ).baselineCount += count.count;
  }
  for (const count of counted.current) {
    groupOf(count.shapeKey, exampleRecord(count, count.firstMs)).counts.push(
      count,
    );
  }
  const keysOfBodies = new Map<string, string>();
  for (const log of counted.sampled) {
    let shapeKey = keysOfBodies.get(log.body);
    if (shapeKey === undefined) {
      shapeKey = logShapeKey(log.body);
      keysOfBodies.set(log.body, shapeKey);
    }
    const group = groupOf(shapeKey, log);
    const rank = levelRank(log);
    if (!group.sampled) {
      group.sampled = {
        count: 1,
        rank,
        firstMs: log.timestampMs,
        lastMs: log.timestampMs,
        sample: log,
        traced: log.traceId ? [log] : [],
      };
    } else {
      addRecord(group.sampled, log, rank);
    }
  }
  return [...groups.values()].map(group => ({
    first: group.first,
    baselineCount: group.baselineCount,
    current: countedWindow(group.counts, group.sampled),
  }));
}

/** The window of one shape key: its counts, with samples and trace ids from its records. */
function countedWindow(
  counts: LogShapeCount[],
  sampled: WindowStats | null,
): WindowStats | null {
  if (counts.length === 0) return sampled;
  let count = 0;
  let firstMs = Infinity;
  let lastMs = -Infinity;
  let mostSevere = counts[0];
  for (const row of counts) {
    count += row.count;
    firstMs = Math.min(firstMs, row.firstMs);
    lastMs = Math.max(lastMs, row.lastMs);
    if (
      row.levelRank > mostSevere.levelRank ||
      (row.levelRank === mostSevere.levelRank &&
        (row.lastMs > mostSevere.lastMs ||
          (row.lastMs === mostSevere.lastMs &&
            row.example > mostSevere.example)))
    ) {
      mostSevere = row;
    }
  }
  const window: WindowStats = {
    count,
    rank: mostSevere.levelRank,
    firstMs,
    lastMs,
    sample: exampleRecord(mostSevere, mostSevere.lastMs),
    traced: [...(sampled?.traced ?? [])],
  };
  for (const row of counts) {
    if (row.traceId) {
      addTraced(window.traced, {
        ...exampleRecord(row, row.firstMs),
        traceId: row.traceId,
      });
    }
  }
  if (sampled) {
    // Records stored before counts were kept are in the sample only.
    window.count = Math.max(count, sampled.count);
    window.firstMs = Math.min(firstMs, sampled.firstMs);
    window.lastMs = Math.max(lastMs, sampled.lastMs);
    if (sampled.rank >= window.rank) {
      window.rank = sampled.rank;
      window.sample = sampled.sample;
    }
  }
  return window;
}

/** A counted shape's example as a record, at the given time. */
function exampleRecord(count: LogShapeCount, timestampMs: number): LogRecord {
  return {
    serviceName: '',
    timestampMs,
    severityText: LOG_LEVELS[count.levelRank] ?? '',
    severityNumber: 0,
    body: count.example,
    traceId: null,
    spanId: null,
    attributes: {},
  };
}

/** Whether a comes before b: by time, then by text. */
function earlier(a: LogRecord, b: LogRecord): boolean {
  return (
    a.timestampMs < b.timestampMs ||
    (a.timestampMs === b.timestampMs && a.body < b.body)
  );
}

/** Whether a is the better sample: more severe, then later, then the greater text. */
function betterSample(
  a: LogRecord,
  rankA: number,
  b: LogRecord,
  rankB: number,
): boolean {
  return (
    rankA > rankB ||
    (rankA === rankB &&
      (a.timestampMs > b.timestampMs ||
        (a.timestampMs === b.timestampMs && a.body > b.body)))
  );
}

function addRecord(stats: WindowStats, log: LogRecord, rank: number): void {
  stats.count += 1;
  if (log.timestampMs < stats.firstMs) stats.firstMs = log.timestampMs;
  if (log.timestampMs > stats.lastMs) stats.lastMs = log.timestampMs;
  if (betterSample(log, rank, stats.sample, stats.rank)) {
    stats.rank = rank;
    stats.sample = log;
  }
  if (log.traceId) addTraced(stats.traced, log);
}

/** Keeps the records of the MAX_TRACE_IDS smallest distinct trace ids. */
function addTraced(traced: LogRecord[], log: LogRecord): void {
  const traceId = log.traceId!;
  if (
    traced.length === MAX_TRACE_IDS &&
    traceId >= traced[traced.length - 1].traceId!
  ) {
    return;
  }
  if (traced.some(other => other.traceId === traceId)) return;
  traced.push(log);
  traced.sort((a, b) => compareText(a.traceId!, b.traceId!));
  if (traced.length > MAX_TRACE_IDS) traced.pop();
}

function emptyWindow(): WindowStats {
  return {
    count: 0,
    rank: 0,
    firstMs: Infinity,
    lastMs: -Infinity,
    sample: null as unknown as LogRecord,
    traced: [],
  };
}

function mergeWindows(
  a: WindowStats | null,
  b: WindowStats | null,
): WindowStats | null {
  if (!a || a.count === 0) return b && { ...b, traced: [...b.traced] };
  if (!b || b.count === 0) return a;
  a.count += b.count;
  a.firstMs = Math.min(a.firstMs, b.firstMs);
  a.lastMs = Math.max(a.lastMs, b.lastMs);
  if (betterSample(b.sample, b.rank, a.sample, a.rank)) {
    a.rank = b.rank;
    a.sample = b.sample;
  }
  for (const log of b.traced) addTraced(a.traced, log);
  return a;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
