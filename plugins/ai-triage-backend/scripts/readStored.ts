import { DatabaseManager } from '@backstage/backend-defaults/database';
import { LifecycleService, LoggerService } from '@backstage/backend-plugin-api';
import { Config, ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import yaml from 'yaml';
import { TriageCase } from '@ai-triage/plugin-ai-triage-common';
import { ReviewCaseStore } from '../src/evaluation/ReviewCaseStore';

/** Reads an app-config file (no includes or substitutions) as the scripts' config. */
export function readConfigFile(file: string | undefined): Config {
  return new ConfigReader(
    file ? yaml.parse(fs.readFileSync(file, 'utf8')) ?? {} : {},
  );
}

/** `7d`, `12h`, `30m` as milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([dhm])$/.exec(text);
  if (!match) {
    throw new Error(
      `--since takes a duration like 7d, 12h or 30m, got ${text}`,
    );
  }
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd'];
  return Number(match[1]) * unit;
}

/**
 * The reviewed incidents of the plugin's database (as `backend.database` in the config names
 * it, through Backstage's DatabaseManager) since `sinceMs` ago, as cases.
 */
export async function readReviewCases(
  config: Config,
  sinceMs: number,
): Promise<TriageCase[]> {
  const logger: LoggerService = {
    error: m => process.stderr.write(`${m}\n`),
    warn: m => process.stderr.write(`${m}\n`),
    info() {},
    debug() {},
    child: () => logger,
  };
  const lifecycle = {
    addStartupHook() {},
    addBeforeShutdownHook() {},
    addShutdownHook() {},
  } as unknown as LifecycleService;
  const knex = await DatabaseManager.fromConfig(config)
    .forPlugin('ai-triage', { logger, lifecycle })
    .getClient();
  try {
    return await new ReviewCaseStore(knex).listCases(
      new Date(Date.now() - sinceMs),
    );
  } finally {
    await knex.destroy();
  }
}
