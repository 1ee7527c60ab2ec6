import fs from 'node:fs';
import path from 'node:path';
import { parseDuration, readConfigFile, readReviewCases } from './readStored';

/**
 * Writes the stored incidents that have a review as cases (see ReviewCaseStore for the truth a
 * review gives; contexts are stored redacted by enrichment, review texts are not exported):
 *
 *   npm run cases:export -- --config app-config.production.yaml [--since 90d] [--out DIR]
 *
 * DIR defaults to examples/cases/reviews (ignored by git).
 */
async function main(args: string[]) {
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const configFile = option('--config');
  if (!configFile)
    throw new Error('--config FILE (with backend.database) is required');
  const cases = await readReviewCases(
    readConfigFile(configFile),
    parseDuration(option('--since') ?? '90d'),
  );
  const dir = path.resolve(
    option('--out') ??
      path.resolve(__dirname, '../../../examples/cases/reviews'),
  );
  fs.mkdirSync(dir, { recursive: true });
  for (const c of cases) {
    fs.writeFileSync(
      path.join(dir, `${c.id}.json`),
      `${JSON.stringify(c, null, 2)}\n`,
    );
  }
  process.stdout.write(`wrote ${cases.length} cases to ${dir}\n`);
}

main(process.argv.slice(2)).catch(error => {
  process.stderr.write(`cases:export: ${error.message}\n`);
  process.exitCode = 1;
});
