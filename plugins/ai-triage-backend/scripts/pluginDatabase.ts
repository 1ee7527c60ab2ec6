import { DatabaseManager } from '@backstage/backend-defaults/database';
import {
  LifecycleService,
  LoggerService,
  RootLifecycleService,
} from '@backstage/backend-plugin-api';
import { Config, ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import fs from 'node:fs';
import yaml from 'yaml';
import {
  CommandEnvironment,
  PluginDatabase,
} from '../src/evaluation/replayCommand';

/**
 * What the replay and export scripts read config and the database with (kept out of the
 * plugin's src: `yaml` and `@backstage/backend-defaults` are development dependencies).
 */

/** Reads an app-config file (no includes or substitutions) as the scripts' config. */
export function readConfigFile(file: string | undefined): Config {
  return new ConfigReader(
    file ? yaml.parse(fs.readFileSync(file, 'utf8')) ?? {} : {},
  );
}

/**
 * The plugin's database as `backend.database` in the config names it, opened through
 * Backstage's DatabaseManager exactly as the backend opens it (same client, prefix and
 * per-plugin database). Migrations are not run: the scripts read and write a database the
 * backend already keeps.
 */
export async function openPluginDatabase(
  config: Config,
): Promise<PluginDatabase> {
  if (!config.has('backend.database')) {
    throw new InputError(
      'the --config file must name the database (backend.database)',
    );
  }
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
  // The root lifecycle is where the manager registers its shutdown (keep-alive timers, admin
  // pools, clients); the script runs those hooks when it is done.
  const shutdownHooks: Array<() => void | Promise<void>> = [];
  const rootLifecycle = {
    addStartupHook() {},
    addBeforeShutdownHook() {},
    addShutdownHook(hook: () => void | Promise<void>) {
      shutdownHooks.push(hook);
    },
  } as unknown as RootLifecycleService;
  const knex = await DatabaseManager.fromConfig(config, { rootLifecycle })
    .forPlugin('ai-triage', { logger, lifecycle })
    .getClient();
  return {
    knex,
    async close() {
      for (const hook of shutdownHooks) await hook();
      // The manager leaves SQLite clients open; destroying twice is harmless.
      await knex.destroy();
    },
  };
}

/** The scripts' environment: app-config files and the database through DatabaseManager. */
export const scriptEnvironment: CommandEnvironment = {
  readConfig: readConfigFile,
  openDatabase: openPluginDatabase,
};
