import knexFactory from 'knex';
import fs from 'node:fs';
import path from 'node:path';
import {
  FAULT_KINDS,
  FaultKind,
  IncidentDetailResponse,
  TRIAGE_CASE_VERSION,
  TriageCase,
  triageCaseSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { listScenarios, replayScenario } from '../src/__testUtils__/scenarios';
import { startLabBackend } from '../src/__testUtils__/labBackend';
import {
  listLabRecordings,
  loadLabRecording,
  replayLabRecording,
} from '../src/__testUtils__/labRecordings';

/**
 * Writes the example scenarios and the lab recordings as replayable cases:
 *
 *   npm run cases:examples [-- --out DIR] [-- --scenarios-only] [-- --lab-only]
 *
 * Each scenario and recording runs once through the real pipeline (OTLP intake, alert intake,
 * enrichment) on a fresh in-memory SQLite database, exactly as bench:scenarios runs it; every
 * incident's stored context document becomes one case, with the scenario's or recording's truth.
 * DIR defaults to examples/cases (ignored by git: the cases are generated, not committed).
 */

/** The example scenarios' root-cause kinds in the contract's fault kinds. */
const SCENARIO_KINDS: Record<string, FaultKind> = {
  'bad-deploy': 'deploy',
  'certificate-expiry': 'network',
  'connection-pool-exhaustion': 'resource-wait',
  'cpu-throttling': 'saturation',
  'dependency-latency': 'latency',
  'disk-full': 'saturation',
  'dns-failure': 'network',
  'memory-leak': 'saturation',
  'poison-message': 'bad-input',
  'third-party-rate-limit': 'rate-limit',
};

const memoryKnex = () =>
  knexFactory({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });

function write(dir: string, c: TriageCase) {
  const valid = triageCaseSchema.parse(c);
  fs.writeFileSync(
    path.join(dir, `${valid.id}.json`),
    `${JSON.stringify(valid, null, 2)}\n`,
  );
}

async function scenarioCases(dir: string): Promise<number> {
  let written = 0;
  for (const name of listScenarios()) {
    const knex = memoryKnex();
    try {
      const replay = await replayScenario(name, knex);
      const scenario = JSON.parse(
        fs.readFileSync(
          path.resolve(
            __dirname,
            '../../../examples/scenarios',
            name,
            'scenario.json',
          ),
          'utf8',
        ),
      );
      const mention = scenario.expected?.topHypothesisMentions;
      write(dir, {
        version: TRIAGE_CASE_VERSION,
        id: `scenario-${name}`,
        source: 'scenario',
        context: replay.context,
        truth: {
          type: 'cause',
          service: scenario.rootCause.component,
          kind: SCENARIO_KINDS[scenario.rootCause.kind],
          keywords: mention ? [mention] : [],
        },
      });
      written += 1;
    } finally {
      await knex.destroy();
    }
  }
  return written;
}

async function labCases(dir: string): Promise<number> {
  let written = 0;
  for (const file of listLabRecordings()) {
    const recording = loadLabRecording(file);
    const knex = memoryKnex();
    const backend = await startLabBackend(knex);
    try {
      const replay = await replayLabRecording(recording, backend);
      const { truth } = recording;
      for (const [i, { incident }] of replay.incidents.entries()) {
        const res = await fetch(
          `${backend.baseUrl}/api/ai-triage/incidents/${incident.id}`,
          { headers: { authorization: backend.userAuthorization } },
        );
        const { context } = (await res.json()) as IncidentDetailResponse;
        if (!context) continue;
        const kind = FAULT_KINDS.find(k => k === truth.kind);
        write(dir, {
          version: TRIAGE_CASE_VERSION,
          id: `lab-${recording.scenario}-${i + 1}`,
          source: 'lab',
          context,
          truth:
            truth.fault && truth.origin
              ? { type: 'cause', service: truth.origin, kind, keywords: [] }
              : { type: 'no-cause' },
        });
        written += 1;
      }
    } finally {
      await backend.stop();
      await knex.destroy();
    }
  }
  return written;
}

async function main(args: string[]) {
  const outIndex = args.indexOf('--out');
  const dir = path.resolve(
    outIndex >= 0
      ? args[outIndex + 1]
      : path.resolve(__dirname, '../../../examples/cases'),
  );
  fs.mkdirSync(dir, { recursive: true });
  let written = 0;
  if (!args.includes('--lab-only')) written += await scenarioCases(dir);
  if (!args.includes('--scenarios-only')) written += await labCases(dir);
  process.stdout.write(`wrote ${written} cases to ${dir}\n`);
}

main(process.argv.slice(2)).catch(error => {
  process.stderr.write(`cases:examples: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
