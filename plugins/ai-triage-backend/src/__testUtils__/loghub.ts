import { thirdPartyData } from '@internal/fixtures';
import fs from 'node:fs';
import path from 'node:path';

/** The ten systems of the Loghub 2k benchmark. */
export const LOGHUB_SYSTEMS = [
  'HDFS',
  'Hadoop',
  'Spark',
  'Zookeeper',
  'BGL',
  'HPC',
  'Thunderbird',
  'Windows',
  'Linux',
  'Android',
] as const;

/**
 * The Loghub 2k samples (log and ground truth of each system), kept outside the repository and
 * read through packages/fixtures: `loghubData().path('loghub')` is the folder of the systems.
 */
export function loghubData(env: NodeJS.ProcessEnv = process.env) {
  return thirdPartyData(
    LOGHUB_SYSTEMS.flatMap(system => [
      `loghub/${system}/${system}_2k.log`,
      `loghub/${system}/${system}_2k.log_structured.csv`,
    ]),
    env,
  );
}

/** One line of a Loghub dataset: its message content and its ground-truth event. */
export type LoghubLine = { content: string; eventId: string };

/** RFC 4180 CSV: quoted fields with "" escapes, CRLF or LF line ends. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Reads `<dir>/<system>/<system>_2k.log` and its `_structured.csv` ground truth. The message of
 * each line is the CSV's `Content` column: the raw line without the system's header (date, level,
 * component...), as Loghub's own benchmark takes it from the header format it is given. Each
 * content is checked against its raw line (CRLF line ends), so a mismatched pair of files fails.
 */
export function readLoghubDataset(dir: string, system: string): LoghubLine[] {
  const base = path.join(dir, system, `${system}_2k.log`);
  const raw = fs
    .readFileSync(base, 'utf8')
    .split(/\r?\n/)
    .filter((line, i, all) => line.length > 0 || i < all.length - 1);
  const [header, ...rows] = parseCsv(
    fs.readFileSync(`${base}_structured.csv`, 'utf8'),
  ).filter(row => row.length > 1);
  const content = header.indexOf('Content');
  const eventId = header.indexOf('EventId');
  if (content < 0 || eventId < 0) {
    throw new Error(`${base}_structured.csv has no Content or EventId column`);
  }
  if (raw.length !== rows.length) {
    throw new Error(
      `${base} has ${raw.length} lines but its ground truth has ${rows.length}`,
    );
  }
  return rows.map((row, i) => {
    if (!raw[i].includes(row[content].trim())) {
      throw new Error(
        `Line ${i + 1} of ${base} does not contain its ground-truth content`,
      );
    }
    return { content: row[content], eventId: row[eventId] };
  });
}

/**
 * The Loghub benchmark's grouping accuracy: a line counts as parsed correctly only when the lines
 * of its predicted group are exactly the lines of one ground-truth event.
 */
export function groupingAccuracy(
  predicted: ReadonlyArray<number | string>,
  truth: readonly string[],
): number {
  const truthSizes = new Map<string, number>();
  truth.forEach(id => truthSizes.set(id, (truthSizes.get(id) ?? 0) + 1));
  const groups = new Map<number | string, number[]>();
  predicted.forEach((group, line) => {
    const lines = groups.get(group);
    if (lines) lines.push(line);
    else groups.set(group, [line]);
  });
  let correct = 0;
  for (const lines of groups.values()) {
    const events = new Set(lines.map(line => truth[line]));
    const [event] = events;
    if (events.size === 1 && truthSizes.get(event) === lines.length) {
      correct += lines.length;
    }
  }
  return correct / truth.length;
}
