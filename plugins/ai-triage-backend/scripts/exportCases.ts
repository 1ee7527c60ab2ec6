import path from 'node:path';
import { exportReviewCases } from '../src/evaluation/replayCommand';
import { scriptEnvironment } from './pluginDatabase';

/**
 * Writes the stored incidents that have a review as cases (see ReviewCaseStore for the truth a
 * review gives; contexts are stored redacted by enrichment, review texts are not exported):
 *
 *   npm run cases:export -- --config app-config.production.yaml [--since 90d] [--out DIR]
 *
 * DIR defaults to examples/cases/reviews (ignored by git).
 */
exportReviewCases(
  process.argv.slice(2),
  path.resolve(__dirname, '../../../examples/cases/reviews'),
  scriptEnvironment,
).then(
  ({ dir, cases }) =>
    process.stdout.write(`wrote ${cases.length} cases to ${dir}\n`),
  error => {
    process.stderr.write(`cases:export: ${error.message}\n`);
    process.exitCode = 1;
  },
);
