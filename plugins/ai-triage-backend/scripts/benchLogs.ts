import os from 'node:os';
import path from 'node:path';
import { LogTemplateMiner } from '../src/enrichment/LogTemplateMiner';
import {
  groupingAccuracy,
  LOGHUB_SYSTEMS,
  readLoghubDataset,
  SHARED_LOGHUB_DIR,
} from '../src/__testUtils__/loghub';

/**
 * Grouping accuracy and speed of the log template miner on Loghub 2k datasets:
 *
 *   npm run bench:logs -- [--loghub DIR] [--seconds N] [--system NAME]...
 *
 * DIR holds one folder per system with `<System>_2k.log` and `<System>_2k.log_structured.csv`
 * (default: the shared fixtures beside the repository). Each system's messages are the ground
 * truth's `Content` column (the raw line without its header, as Loghub's benchmark extracts it);
 * the miner runs with its one default configuration. Speed is lines mined per second on one core:
 * a fresh miner over the system's lines, repeated for about N seconds (default 1) after one
 * warm-up pass.
 */
function main(args: string[]) {
  let dir = SHARED_LOGHUB_DIR;
  let seconds = 1;
  const systems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    if (args[i] === '--loghub' && value) dir = path.resolve(value);
    else if (args[i] === '--seconds' && Number(value) > 0)
      seconds = Number(value);
    else if (args[i] === '--system' && value) systems.push(value);
    else throw new Error(`Unknown or incomplete argument: ${args[i]}`);
    i++;
  }

  const rows: Array<{
    system: string;
    accuracy: number;
    linesPerSecond: number;
  }> = [];
  for (const system of systems.length ? systems : LOGHUB_SYSTEMS) {
    const lines = readLoghubDataset(dir, system);
    const messages = lines.map(line => line.content);
    const miner = LogTemplateMiner.create();
    // Each line's group is the template its message ended up in, after any later merge.
    const predicted = messages
      .map(message => miner.add(message))
      .map(id => miner.canonicalId(id));
    const accuracy = groupingAccuracy(
      predicted,
      lines.map(line => line.eventId),
    );

    let mined = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round(seconds * 1e9));
    let now = start;
    for (let pass = 0; pass === 0 || now < deadline; pass++) {
      const timed = LogTemplateMiner.create();
      for (const message of messages) timed.add(message);
      if (pass === 0) {
        // warm-up pass, not counted
        now = process.hrtime.bigint();
        continue;
      }
      mined += messages.length;
      now = process.hrtime.bigint();
    }
    const elapsed = Number(now - start) / 1e9;
    rows.push({ system, accuracy, linesPerSecond: mined / elapsed });
  }
  print(rows, dir);
}

function print(
  rows: Array<{ system: string; accuracy: number; linesPerSecond: number }>,
  dir: string,
) {
  const average = (values: number[]) =>
    values.reduce((sum, v) => sum + v, 0) / values.length;
  const lines = [
    `Loghub 2k datasets in ${dir}; Node ${
      process.version
    }, one core; load average ${os.loadavg()[0].toFixed(2)} at the end`,
    '',
    '| System | Grouping accuracy | Lines/s |',
    '|---|---:|---:|',
    ...rows.map(
      row =>
        `| ${row.system} | ${row.accuracy.toFixed(3)} | ${Math.round(
          row.linesPerSecond,
        ).toLocaleString('en-US')} |`,
    ),
    `| **Average** | **${average(rows.map(r => r.accuracy)).toFixed(
      3,
    )}** | **${Math.round(
      average(rows.map(r => r.linesPerSecond)),
    ).toLocaleString('en-US')}** |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main(process.argv.slice(2));
