import knexFactory from 'knex';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import { startLabBackend } from '../src/__testUtils__/labBackend';
import {
  listLabRecordings,
  loadLabRecording,
  replayLabRecording,
} from '../src/__testUtils__/labRecordings';

/**
 * What enrichment's localization says on the lab's recordings of really instrumented services,
 * against each recording's truth (whatever a reasoner then makes of it):
 *
 *   npm run bench:localization [-- NAME...] [-- --verbose]
 *
 * Replays every recording (or those whose file name contains a NAME) through the real plugin's
 * HTTP endpoints on a fresh in-memory SQLite database, reads every incident's context and prints
 * its onset, the localization's origin and path, and whether the origin is the recording's true
 * origin (or, for a recording without a fault, whether no origin was named). `--verbose` also
 * prints every suspect and edge.
 */
async function main(args: string[]) {
  const verbose = args.includes('--verbose');
  const names = args.filter(arg => !arg.startsWith('--'));
  let incidents = 0;
  let faultIncidents = 0;
  let faultRight = 0;
  let noFaultRight = 0;
  for (const file of listLabRecordings()) {
    if (names.length && !names.some(name => file.includes(name))) continue;
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    const recording = loadLabRecording(file);
    const backend = await startLabBackend(knex);
    try {
      const replay = await replayLabRecording(recording, backend);
      const { truth } = recording;
      let recordingRight = 0;
      const lines: string[] = [];
      for (const { incident } of replay.incidents) {
        const res = await fetch(
          `${backend.baseUrl}/api/ai-triage/incidents/${incident.id}`,
          { headers: { authorization: backend.userAuthorization } },
        );
        const context = ((await res.json()) as IncidentDetailResponse).context;
        const localization = context?.localization;
        const onset = context?.onset;
        const origin = localization?.origin ?? null;
        const ok = origin === truth.origin;
        incidents += 1;
        recordingRight += Number(ok);
        if (truth.fault) {
          faultIncidents += 1;
          faultRight += Number(ok);
        } else {
          noFaultRight += Number(ok);
        }
        const top = localization?.suspects[0];
        lines.push(
          `  ${ok ? 'ok  ' : 'MISS'} ${incident.serviceName.padEnd(
            12,
          )} ${context?.alerts
            .map(a => a.name)
            .join(',')
            .padEnd(22)} onset ${onset?.method}${
            onset?.series ? `/${onset.series}` : ''
          } baseline ${onset?.baselineMinutes} min${
            onset?.baselineSufficient ? '' : ' (insufficient)'
          } → origin ${origin ?? '(none)'}${
            top && origin ? ` [${top.kind}, score ${top.anomalyScore}]` : ''
          } path ${localization?.path.join(' > ') || '-'}`,
        );
        if (verbose && context) {
          const faultAt = replay.faultAtMs;
          const rel = (iso: string | null | undefined) =>
            iso ? `${((Date.parse(iso) - faultAt) / 1000).toFixed(0)} s` : '-';
          lines.push(
            `         seconds from the fault: window ${rel(
              context.window.from,
            )} to ${rel(context.window.to)}, onset ${rel(
              onset?.at,
            )}, baseline ${rel(onset?.baselineWindow?.from)} to ${rel(
              onset?.baselineWindow?.to,
            )}`,
          );
          for (const s of localization?.suspects ?? []) {
            lines.push(
              `         ${s.service} hops ${s.hops} score ${s.anomalyScore} self p95 ${s.baselineSelfTimeP95Ms} → ${s.selfTimeP95Ms} ms, errors ${s.originatingErrors} own / ${s.passedOnErrors} passed, kind ${s.kind}, changed ${s.changed}, baseline ${s.baselineKnown}`,
            );
          }
          for (const e of localization?.edges ?? []) {
            lines.push(
              `         edge ${e.from} → ${e.to}: ${e.callCount} calls, errors ${e.baselineErrorRate} → ${e.errorRate}, p95 ${e.baselineP95Ms} → ${e.p95Ms} ms, changed [${e.changed}]`,
            );
          }
        }
      }
      process.stdout.write(
        `${recording.scenario}: truth ${truth.origin ?? '(no fault)'}${
          truth.kind ? ` (${truth.kind}, ${truth.hops} hops)` : ''
        }; origin right for ${recordingRight}/${
          replay.incidents.length
        } incidents\n${lines.join('\n')}\n`,
      );
    } finally {
      await backend.stop();
      await knex.destroy();
    }
  }
  const pct = (a: number, b: number) =>
    b ? `${a}/${b} (${Math.round((100 * a) / b)}%)` : `${a}/${b}`;
  process.stdout.write(
    `\nlocalization origin right: ${pct(
      faultRight,
      faultIncidents,
    )} incidents of faults; no origin named: ${pct(
      noFaultRight,
      incidents - faultIncidents,
    )} incidents of no-fault recordings\n`,
  );
}

main(process.argv.slice(2)).catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
