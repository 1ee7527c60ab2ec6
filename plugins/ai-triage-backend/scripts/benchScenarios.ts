import knexFactory from 'knex';
import fs from 'node:fs';
import path from 'node:path';
import {
  ScenarioReplay,
  listScenarios,
  replayScenario,
} from '../src/__testUtils__/scenarios';
import { replayRecordingFile } from '../src/__testUtils__/labBackend';
import {
  listLabRecordings,
  loadLabRecording,
} from '../src/__testUtils__/labRecordings';
import {
  RecordingScore,
  ScoreSummary,
  scoreReplay,
  summarize,
} from '../src/__testUtils__/labScoring';

/**
 * Accuracy of the heuristic reasoner on the lab recordings and the example incident scenarios:
 *
 *   npm run bench:scenarios [-- --verbose] [-- --seeds N] [-- --json] [-- --lab-only]
 *                           [-- --recordings DIR] [-- --reuse REPORT.json] [-- --retriage]
 *                           [-- --no-auto-retriage]
 *
 * First replays every lab recording (examples/lab/recordings: telemetry and Alertmanager
 * webhooks of really instrumented services) through the real HTTP endpoints of a test backend
 * with the real plugin, and scores every incident against the recording's truth: top-1 and
 * top-3 origin, kind match, abstentions on no-fault runs, fault groups, Brier score of the
 * probabilities, alert-to-hypotheses latency. An incident of a fault recording whose alerts all
 * resolved before the fault was injected (timeline.faultAt), or of a service the fault cannot
 * reach (neither its origin nor a caller of it in examples/lab/topology.json), cannot be the
 * fault's: it is scored like a no-fault incident ("before the fault", "not reached":
 * abstention expected), and top-1/top-3/kind and the fault's groups count only the incidents
 * raised by the fault; every line states the four counts. Scores are of the settled answer (after every
 * automatic re-triage, once no triage job is left); the first answer each incident showed is
 * scored beside it (`[first answer ...]`); `--no-auto-retriage` switches automatic re-triage off. A recording that cannot be replayed fails the run
 * (exit 1, naming the file). `--json` prints one JSON document instead of the tables;
 * `--reuse REPORT.json` takes the scores of recordings already in such a report instead of
 * replaying them again (the recording file must not have changed since). `--retriage` scores
 * the reasoning apart from when telemetry arrives and from grouping: grouping off, every
 * incident re-triaged once after the whole recording was replayed (see replayRecordingFile).
 *
 * Then, unless `--lab-only`:
 * Replays every scenario in examples/scenarios through the real pipeline (OTLP store, intake,
 * enrichment, heuristic reasoning) on a fresh in-memory SQLite database each, then prints per
 * scenario the rank of the first hypothesis matching the known root cause, and the top-1 and
 * top-3 accuracy over all scenarios. `--verbose` also prints every hypothesis. `--seeds N` also
 * replays every scenario with N other seeds of its telemetry generator (other durations, error
 * draws and log lines; same fault) and prints the accuracy over those replays.
 */
async function main() {
  const json = process.argv.includes('--json');
  const lab = await benchLab({
    verbose: process.argv.includes('--verbose') && !json,
    json,
  });
  if (json || process.argv.includes('--lab-only')) {
    if (json) process.stdout.write(`${JSON.stringify(lab.report, null, 2)}\n`);
    if (lab.failed.length > 0) process.exitCode = 1;
    return;
  }
  await benchSimulated();
  if (lab.failed.length > 0) {
    process.stderr.write(
      `\nlab recordings that could not be replayed:\n${lab.failed
        .map(f => `  ${f}`)
        .join('\n')}\n`,
    );
    process.exitCode = 1;
  }
}

const pct = (n: number, d: number) =>
  d === 0 ? '–' : `${Math.round((n / d) * 100)}%`;
const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)} ms`);

function summaryLine(s: ScoreSummary): string {
  const of = (n: number, d: number) => `${n}/${d} (${pct(n, d)})`;
  return [
    `incidents ${s.incidents} = ${s.faultIncidents} raised by the fault (${s.alertedBeforeFault} of them with alerts since before it) + ${s.beforeFaultIncidents} before it + ${s.unreachedIncidents} on services it cannot reach + ${s.noFaultIncidents} without fault`,
    `top-1 origin ${of(s.top1, s.faultIncidents)}${
      s.firstTop1 === null
        ? ''
        : ` [first answer ${of(s.firstTop1, s.faultIncidents)}]`
    }`,
    `top-3 ${of(s.top3, s.faultIncidents)}`,
    `kind ${of(s.kindMatch, s.faultIncidents)}`,
    `abstentions before the fault ${s.beforeFaultAbstentions}/${
      s.beforeFaultIncidents
    }${
      s.firstBeforeFaultAbstentions === null
        ? ''
        : ` [first ${s.firstBeforeFaultAbstentions}]`
    }`,
    `abstentions where it cannot reach ${s.unreachedAbstentions}/${
      s.unreachedIncidents
    }${
      s.firstUnreachedAbstentions === null
        ? ''
        : ` [first ${s.firstUnreachedAbstentions}]`
    }`,
    `abstentions without fault ${s.abstentions}/${s.noFaultIncidents}${
      s.firstAbstentions === null ? '' : ` [first ${s.firstAbstentions}]`
    }`,
    `groups ${s.groups} for ${s.faults} faults (${s.allGroups} with the incidents it did not raise)`,
    `re-triages ${s.autoRetriages}, reasoner calls ${s.reasonJobs}`,
    `Brier ${s.brier === null ? '– (no probabilities)' : s.brier.toFixed(3)}`,
    `alert→hypotheses p50 ${ms(s.latencyP50Ms)} p95 ${ms(s.latencyP95Ms)}`,
  ].join('  ');
}

async function benchLab(options: { verbose: boolean; json: boolean }) {
  const dirArg = process.argv.indexOf('--recordings');
  const files = listLabRecordings(
    dirArg === -1 ? undefined : path.resolve(process.argv[dirArg + 1]),
  );
  const scores: RecordingScore[] = [];
  const failed: string[] = [];
  const reuseArg = process.argv.indexOf('--reuse');
  const reused = new Map<string, RecordingScore>(
    reuseArg === -1
      ? []
      : (
          JSON.parse(fs.readFileSync(process.argv[reuseArg + 1], 'utf8'))
            .recordings as RecordingScore[]
        ).map(score => [score.scenario, score]),
  );
  const out = (line: string) => {
    if (!options.json) process.stdout.write(`${line}\n`);
  };
  out(`lab recordings (${files.length}), replayed through the HTTP endpoints:`);
  for (const file of files) {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    try {
      const reusedScore = reused.get(path.basename(file, '.json.gz'));
      // The truth record may have been rewritten since (npm run lab -- --retruth).
      const known = reusedScore && {
        ...reusedScore,
        hops: loadLabRecording(file).truth.hops,
        firstAlertingService: loadLabRecording(file).truth.firstAlertingService,
      };
      const replay = known
        ? null
        : await replayRecordingFile(file, knex, {
            retriage: process.argv.includes('--retriage'),
            autoRetriage: !process.argv.includes('--no-auto-retriage'),
          });
      const score = known ?? scoreReplay(replay!);
      scores.push(score);
      const s = summarize([score]);
      const truth = score.fault
        ? `${score.kind} @ ${score.origin} (${score.hops ?? '?'} hops from ${
            score.firstAlertingService
          })`
        : 'no fault';
      out(`  ${score.scenario.padEnd(30)} ${truth}`);
      out(`      ${summaryLine(s)}`);
      if (replay)
        out(
          `      replay: ${
            replay.recording.requests.length
          } requests posted in ${ms(replay.timings.postingMs)}, waited ${ms(
            replay.timings.waitingMs,
          )} for triage, ${ms(replay.timings.settlingMs)} to settle`,
        );
      else out('      (scores reused from the given report)');
      if (options.verbose) {
        for (const i of score.incidents)
          out(
            `      - ${i.service.padEnd(12)} top origin ${String(
              i.topOrigin,
            ).padEnd(16)} kind ${String(i.topKind).padEnd(13)} ${
              i.abstained ? 'abstained' : ''
            }${i.beforeFault ? ' (before the fault)' : ''}${
              i.unreached ? ' (not reached by the fault)' : ''
            }${
              typeof i.alertsFromMs === 'number'
                ? ` alerts from ${Math.round(i.alertsFromMs / 1000)} s`
                : ''
            } ${ms(i.latencyMs)}${
              i.group
                ? `  group ${i.group.id?.slice(0, 8) ?? '–'}${
                    i.group.lead ? ' (lead)' : ''
                  } origin ${i.group.origin ?? '–'}`
                : ''
            }${
              i.first
                ? `  first answer ${String(i.first.topOrigin)}${
                    i.first.abstained ? ' (abstained)' : ''
                  }`
                : ''
            }`,
          );
      }
    } catch (error) {
      failed.push(file);
      process.stderr.write(
        `FAILED ${file}: ${(error as Error).stack ?? error}\n`,
      );
    } finally {
      await knex.destroy();
    }
  }
  const total = summarize(scores);
  const faultScores = scores.filter(s => s.fault);
  const farScores = faultScores.filter(s => (s.hops ?? 0) >= 2);
  const kinds = [...new Set(faultScores.map(s => s.kind!))].sort();
  const byKind = Object.fromEntries(
    kinds.map(kind => [
      kind,
      summarize(faultScores.filter(s => s.kind === kind)),
    ]),
  );
  out(`\n  lab total (${files.length} recordings): ${summaryLine(total)}`);
  out(
    `  origin >= 2 hops away (${farScores.length} recordings): ${summaryLine(
      summarize(farScores),
    )}`,
  );
  for (const kind of kinds)
    out(`    ${kind.padEnd(14)} ${summaryLine(byKind[kind])}`);
  out('');
  return {
    failed,
    report: {
      recordings: scores,
      total,
      farOrigin: summarize(farScores),
      byKind,
      failed,
    },
  };
}

async function benchSimulated() {
  const verbose = process.argv.includes('--verbose');
  const seedsArg = process.argv.indexOf('--seeds');
  const extraSeeds = seedsArg === -1 ? 0 : Number(process.argv[seedsArg + 1]);
  const results: ScenarioReplay[] = [];
  for (const name of listScenarios()) {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    try {
      const replay = await replayScenario(name, knex);
      results.push(replay);
      const rank = replay.matchRank ? `#${replay.matchRank}` : 'miss';
      process.stdout.write(
        `${rank.padEnd(5)} ${name.padEnd(36)} ${replay.rootCauseKind.padEnd(
          26,
        )} top: ${
          replay.hypotheses[0]?.rootCause.slice(0, 110) ??
          '(insufficient evidence)'
        }\n`,
      );
      if (verbose) {
        replay.hypotheses.forEach((h, i) =>
          process.stdout.write(
            `        ${i + 1}. [${h.confidence} ${h.probability?.toFixed(2)} ${
              h.kind ?? '-'
            } origin ${h.origin ?? '-'}] ${
              h.rootCause
            }\n           evidence: ${h.evidenceIds.join(', ')}\n`,
          ),
        );
      }
    } finally {
      await knex.destroy();
    }
  }
  process.stdout.write(
    `\nscenarios: ${results.length}  ${accuracy(results)}\n`,
  );

  if (extraSeeds > 0) {
    const reseeded: ScenarioReplay[] = [];
    for (const name of listScenarios()) {
      const ranks: string[] = [];
      for (let seed = 1; seed <= extraSeeds; seed++) {
        const knex = knexFactory({
          client: 'better-sqlite3',
          connection: { filename: ':memory:' },
          useNullAsDefault: true,
        });
        try {
          const replay = await replayScenario(name, knex, { seed });
          reseeded.push(replay);
          ranks.push(replay.matchRank ? `#${replay.matchRank}` : 'miss');
        } finally {
          await knex.destroy();
        }
      }
      process.stdout.write(
        `  seeds 1-${extraSeeds}: ${name.padEnd(36)} ${ranks.join(' ')}\n`,
      );
    }
    process.stdout.write(
      `replays with other seeds: ${reseeded.length}  ${accuracy(reseeded)}\n`,
    );
  }
}

function accuracy(results: ScenarioReplay[]): string {
  const top1 = results.filter(r => r.matchRank === 1).length;
  const top3 = results.filter(r => r.matchRank !== null).length;
  const percent = (n: number) => `${Math.round((n / results.length) * 100)}%`;
  return `top-1 accuracy: ${top1}/${results.length} (${percent(
    top1,
  )})  top-3 accuracy: ${top3}/${results.length} (${percent(top3)})`;
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
