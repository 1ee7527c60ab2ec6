import knexFactory from 'knex';
import {
  ScenarioReplay,
  listScenarios,
  replayScenario,
} from '../src/__testUtils__/scenarios';

/**
 * Accuracy of the heuristic reasoner on the example incident scenarios:
 *
 *   npm run bench:scenarios [-- --verbose] [-- --seeds N]
 *
 * Replays every scenario in examples/scenarios through the real pipeline (OTLP store, intake,
 * enrichment, heuristic reasoning) on a fresh in-memory SQLite database each, then prints per
 * scenario the rank of the first hypothesis matching the known root cause, and the top-1 and
 * top-3 accuracy over all scenarios. `--verbose` also prints every hypothesis. `--seeds N` also
 * replays every scenario with N other seeds of its telemetry generator (other durations, error
 * draws and log lines; same fault) and prints the accuracy over those replays.
 */
async function main() {
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
