import { InputError } from '@backstage/errors';
import { Knex } from 'knex';
import fs from 'node:fs';
import path from 'node:path';
import { TriageCase } from '@ai-triage/plugin-ai-triage-common';
import { DatabaseIncidentStore } from '../database/DatabaseIncidentStore';
import { DatabaseTriageStore } from '../database/DatabaseTriageStore';
import { CaseReplayer, readCaseFolder } from './CaseReplayer';
import { CalibrationStore, readCalibrationConfig } from './calibration';
import { formatReport } from './formatReport';
import { TokenPrice, summarizeOutcomes } from './metrics';
import { Config } from '@backstage/config';
import { ReplayRecorder } from './ReplayRecorder';
import { ReviewCaseStore } from './ReviewCaseStore';
import { z } from 'zod';
import { nonNegativeNumber, readConfigSection } from '../configSection';

/** The plugin's database opened by a script; `close()` ends every connection it opened. */
export type PluginDatabase = { knex: Knex; close(): Promise<void> };

/**
 * How the commands read their `--config` file and open the database it names
 * (scripts/pluginDatabase.ts: an app-config YAML file, Backstage's DatabaseManager).
 */
export type CommandEnvironment = {
  readConfig(file: string | undefined): Config;
  openDatabase(config: Config): Promise<PluginDatabase>;
};

/** `7d`, `12h`, `30m` as milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([dhm])$/.exec(text);
  if (!match) {
    throw new InputError(
      `--since takes a duration like 7d, 12h or 30m, got ${text}`,
    );
  }
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd'];
  return Number(match[1]) * unit;
}

/** Reads `--name value` options and `--flag` switches from a command line. */
export function commandLine(args: string[]) {
  return {
    option(name: string): string | undefined {
      const i = args.indexOf(name);
      if (i < 0) return undefined;
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new InputError(`${name} needs a value`);
      }
      return value;
    },
    flag: (name: string) => args.includes(name),
  };
}

/**
 * `npm run replay`: re-reasons cases with a reasoner and returns the report (a table per
 * reasoner/model, or JSON with `--json`). With a database (`--since`, `--record`) the reasoner
 * maps its probabilities through the calibration stored there, as the plugin does; `--record`
 * stores every answered case that came from a stored incident as a new triage run marked
 * `replay` (ReplayRecorder). See scripts/replay.ts for the options.
 */
export async function runReplay(
  args: string[],
  env: CommandEnvironment,
): Promise<string> {
  const { option, flag } = commandLine(args);
  const casesDir = option('--cases');
  const since = option('--since');
  if (!casesDir === !since) {
    throw new InputError(
      'give either --cases DIR or --since DURATION (e.g. 7d)',
    );
  }
  const reasoner = option('--reasoner') ?? 'heuristic';
  if (reasoner !== 'heuristic' && reasoner !== 'llm') {
    throw new InputError(
      `--reasoner must be heuristic or llm, got ${reasoner}`,
    );
  }
  const record = flag('--record');
  const config = env.readConfig(option('--config'));
  const price = tokenPrice(config, option);
  const sinceMs = since === undefined ? undefined : parseDuration(since);
  const database =
    sinceMs !== undefined || record
      ? await env.openDatabase(config)
      : undefined;
  const knex = database?.knex;
  try {
    const cases: TriageCase[] =
      sinceMs !== undefined
        ? await new ReviewCaseStore(knex!).listCases(
            new Date(Date.now() - sinceMs),
          )
        : readCaseFolder(casesDir!);
    const calibration = calibrationOf(knex, config);
    const replayer = CaseReplayer.create({ reasoner, config, calibration });
    const outcomes = await replayer.replay(cases);
    const summary = summarizeOutcomes(outcomes, price);
    const recorded =
      knex && record
        ? await new ReplayRecorder({
            triage: DatabaseTriageStore.create({ knex, maxAttempts: 1 }),
            incidents: DatabaseIncidentStore.create({
              knex,
              reopenWindowMs: 0,
              maxAttempts: 1,
            }),
          }).record(replayer.source, cases, outcomes)
        : undefined;
    if (flag('--json')) {
      return `${JSON.stringify(
        { reasoner: replayer.label, summary, outcomes, recorded },
        null,
        2,
      )}\n`;
    }
    let text = formatReport([{ label: replayer.label, summary }]);
    if (recorded) {
      text += `recorded ${recorded.recorded.length} replay runs`;
      text += recorded.skipped.length
        ? `; not recorded: ${recorded.skipped
            .map(s => `${s.caseId} (${s.reason})`)
            .join(', ')}\n`
        : '\n';
    }
    return text;
  } finally {
    await database?.close();
  }
}

/** `aiTriage.evaluation` (see config.d.ts): token prices for the cost per case. */
const evaluationSchema = z.object({
  price: z
    .object({
      inputPerMillion: nonNegativeNumber.optional(),
      outputPerMillion: nonNegativeNumber.optional(),
    })
    .prefault({}),
});

/** Token prices from the command line, else `aiTriage.evaluation.price`. */
function tokenPrice(
  config: Config,
  option: (name: string) => string | undefined,
): TokenPrice | undefined {
  const { price: priceConfig } = readConfigSection(
    config,
    'aiTriage.evaluation',
    evaluationSchema,
  );
  const priceIn = option('--price-in') ?? priceConfig.inputPerMillion;
  const priceOut = option('--price-out') ?? priceConfig.outputPerMillion;
  if (priceIn === undefined && priceOut === undefined) return undefined;
  const number = (name: string, value: string | number | undefined) => {
    const n = Number(value ?? 0);
    if (!Number.isFinite(n) || n < 0) {
      throw new InputError(
        `${name} must be a price of at least 0, got ${value}`,
      );
    }
    return n;
  };
  return {
    inputPerMillion: number('--price-in', priceIn),
    outputPerMillion: number('--price-out', priceOut),
  };
}

/** The stored calibration, as the plugin applies it (none without a database or when disabled). */
function calibrationOf(knex: Knex | undefined, config: Config) {
  if (!knex) return undefined;
  const settings = readCalibrationConfig(config);
  return settings.enabled
    ? { source: new CalibrationStore(knex), minReviews: settings.minReviews }
    : undefined;
}

/**
 * `npm run cases:export`: writes the reviewed incidents of the last `--since` (default 90d) as
 * case files (`<case id>.json`) into `--out` (default `defaultOutDir`); returns what it wrote.
 */
export async function exportReviewCases(
  args: string[],
  defaultOutDir: string,
  env: CommandEnvironment,
): Promise<{ dir: string; cases: TriageCase[] }> {
  const { option } = commandLine(args);
  const configFile = option('--config');
  if (!configFile) {
    throw new InputError('--config FILE (with backend.database) is required');
  }
  const sinceMs = parseDuration(option('--since') ?? '90d');
  const database = await env.openDatabase(env.readConfig(configFile));
  try {
    const cases = await new ReviewCaseStore(database.knex).listCases(
      new Date(Date.now() - sinceMs),
    );
    const dir = path.resolve(option('--out') ?? defaultOutDir);
    fs.mkdirSync(dir, { recursive: true });
    for (const c of cases) {
      fs.writeFileSync(
        path.join(dir, `${c.id}.json`),
        `${JSON.stringify(c, null, 2)}\n`,
      );
    }
    return { dir, cases };
  } finally {
    await database.close();
  }
}
