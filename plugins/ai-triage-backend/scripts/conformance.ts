/**
 * Runs every file of a folder (recursively) through the real webhook parsers, storing nothing:
 *
 *   npm run conformance -- --payloads "$AI_TRIAGE_FIXTURES/alertmanager"
 *
 * Prints per file OK (sender, alert count), REJECTED (the reason a sender would get in its
 * 400) or SKIPPED (not a webhook body), and exits 1 when any JSON file is rejected.
 */
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import {
  checkPayloadFolder,
  conformanceReport,
} from '../src/ingest/conformance';

const { values } = parseArgs({
  options: { payloads: { type: 'string' } },
});
if (
  !values.payloads ||
  !fs.statSync(values.payloads, { throwIfNoEntry: false })?.isDirectory()
) {
  process.stderr.write('Usage: npm run conformance -- --payloads DIR\n');
  process.exit(2);
}
const { lines, exitCode } = conformanceReport(
  checkPayloadFolder(values.payloads),
);
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(exitCode);
