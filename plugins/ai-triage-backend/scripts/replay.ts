import { runReplay } from '../src/evaluation/replayCommand';
import { scriptEnvironment } from './pluginDatabase';

/**
 * Re-reasons stored contexts with a reasoner and prints how right and how calibrated it is:
 *
 *   npm run replay -- --cases DIR | --since 7d [--reasoner heuristic|llm] [--config FILE]
 *                     [--record] [--json]
 *                     [--price-in USD_PER_M_TOKENS] [--price-out USD_PER_M_TOKENS]
 *
 * DIR holds case files (see `triageCaseSchema` in -common; `npm run cases:examples` writes the
 * example scenarios and lab recordings as cases, `npm run cases:export` reviewed incidents).
 * `--config` is an app-config file; `--reasoner llm` reads `aiTriage.reasoning.llm` from it,
 * and the token prices from `aiTriage.evaluation.price` unless given on the command line.
 * `--since 7d` replays the incidents reviewed in that span, read from the database that
 * `backend.database` in the `--config` file names (as `npm run cases:export` reads them);
 * with a database, probabilities are mapped through its stored calibration as the plugin does.
 * Nothing is stored unless `--record` is given: then each answered case that came from a
 * stored incident becomes a new triage run marked `replay` in that database (the incident's
 * live answer stays what it was). See src/evaluation/replayCommand.ts.
 */
runReplay(process.argv.slice(2), scriptEnvironment).then(
  text => process.stdout.write(text),
  error => {
    process.stderr.write(`replay: ${error.message}\n`);
    process.exitCode = 1;
  },
);
