import { CaseReplayer, readCaseFolder } from '../src/evaluation/CaseReplayer';
import { formatReport } from '../src/evaluation/formatReport';
import { parseDuration, readConfigFile, readReviewCases } from './readStored';
import { summarizeOutcomes, TokenPrice } from '../src/evaluation/metrics';
import { z } from 'zod';
import { nonNegativeNumber, readConfigSection } from '../src/configSection';

/** `aiTriage.evaluation` (see config.d.ts): token prices for the cost per case. */
const evaluationSchema = z.object({
  price: z
    .object({
      inputPerMillion: nonNegativeNumber.optional(),
      outputPerMillion: nonNegativeNumber.optional(),
    })
    .prefault({}),
});

/**
 * Re-reasons stored contexts with a reasoner and prints how right and how calibrated it is:
 *
 *   npm run replay -- --cases DIR | --since 7d [--reasoner heuristic|llm] [--config FILE] [--json]
 *                     [--price-in USD_PER_M_TOKENS] [--price-out USD_PER_M_TOKENS]
 *
 * DIR holds case files (see `triageCaseSchema` in -common; `npm run cases:examples` writes the
 * example scenarios and lab recordings as cases, `npm run cases:export` reviewed incidents).
 * `--config` is an app-config file; `--reasoner llm` reads `aiTriage.reasoning.llm` from it,
 * and the token prices from `aiTriage.evaluation.price` unless given on the command line.
 * `--since 7d` replays the incidents reviewed in that span, read from the database that
 * `backend.database` in the `--config` file names (as `npm run cases:export` reads them).
 * Nothing is stored.
 */
async function main(args: string[]) {
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const casesDir = option('--cases');
  const since = option('--since');
  if (!casesDir === !since) {
    throw new Error('give either --cases DIR or --since DURATION (e.g. 7d)');
  }
  const reasoner = (option('--reasoner') ?? 'heuristic') as 'heuristic' | 'llm';
  if (reasoner !== 'heuristic' && reasoner !== 'llm') {
    throw new Error(`--reasoner must be heuristic or llm, got ${reasoner}`);
  }
  const configFile = option('--config');
  const config = readConfigFile(configFile);
  const { price: priceConfig } = readConfigSection(
    config,
    'aiTriage.evaluation',
    evaluationSchema,
  );
  const priceIn = option('--price-in') ?? priceConfig.inputPerMillion;
  const priceOut = option('--price-out') ?? priceConfig.outputPerMillion;
  const price: TokenPrice | undefined =
    priceIn !== undefined || priceOut !== undefined
      ? {
          inputPerMillion: Number(priceIn ?? 0),
          outputPerMillion: Number(priceOut ?? 0),
        }
      : undefined;

  const cases = casesDir
    ? readCaseFolder(casesDir)
    : await readReviewCases(config, parseDuration(since!));
  const replayer = CaseReplayer.create({ reasoner, config });
  const outcomes = await replayer.replay(cases);
  const summary = summarizeOutcomes(outcomes, price);
  if (args.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify(
        { reasoner: replayer.label, summary, outcomes },
        null,
        2,
      )}\n`,
    );
  } else {
    process.stdout.write(formatReport([{ label: replayer.label, summary }]));
  }
}

main(process.argv.slice(2)).catch(error => {
  process.stderr.write(`replay: ${error.message}\n`);
  process.exitCode = 1;
});
