import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import knexFactory, { Knex } from 'knex';
import { replayRecordingFile } from './__testUtils__/labBackend';
import {
  countRecordedTelemetry,
  labRecordingsDir,
  listLabRecordings,
  loadLabRecording,
  shiftTimestamps,
} from './__testUtils__/labRecordings';
import { scoreReplay, summarize } from './__testUtils__/labScoring';

jest.setTimeout(180_000);

/*
 * Every lab recording (examples/lab/recordings) replays through the real HTTP endpoints of the
 * real plugin: the pipeline raises incidents and triages each (first answer, then settled once no
 * re-triage is left), the stored telemetry is what was recorded, and the scoring yields numbers. Accuracy itself is `npm run bench:scenarios`' job.
 */
describe('lab recordings', () => {
  const files = listLabRecordings();
  let knex: Knex;

  beforeEach(() => {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
  });
  afterEach(async () => {
    await knex.destroy();
  });

  it('has at least fifteen recordings, three without a fault, five with the origin two or more hops away', () => {
    const truths = files.map(file => loadLabRecording(file).truth);
    expect(truths.length).toBeGreaterThanOrEqual(15);
    expect(truths.filter(t => !t.fault).length).toBeGreaterThanOrEqual(3);
    expect(
      truths.filter(t => t.fault && (t.hops ?? 0) >= 2).length,
    ).toBeGreaterThanOrEqual(5);
  });

  it.each(files.map(file => [path.basename(file), file]))(
    'replays %s: incidents raised and triaged, telemetry stored as recorded',
    async (_name, file) => {
      const replay = await replayRecordingFile(file, knex);
      const recording = replay.recording;

      expect(replay.incidents.length).toBeGreaterThanOrEqual(1);
      for (const {
        incident,
        hypotheses,
        insufficientEvidence,
        first,
      } of replay.incidents) {
        expect(incident.triageState).toBe('triaged');
        expect(hypotheses.length > 0 || insufficientEvidence).toBe(true);
        // The first answer it showed, before any re-triage, is kept beside the settled one.
        expect(first).not.toBeNull();
      }
      // Every incident carries its alerts, which place it before or in the fault.
      for (const { alerts } of replay.incidents)
        expect(alerts.length).toBeGreaterThanOrEqual(1);
      expect(replay.faultAtMs).toBeLessThan(replay.endsAtMs);
      // Automatic re-triages stay within their bound (aiTriage.retriage.maxPerIncident, 3).
      expect(replay.jobs.autoRetriages).toBeLessThanOrEqual(
        3 * replay.incidents.length,
      );
      expect(replay.jobs.reason).toBeGreaterThanOrEqual(1);
      // Every alert service the webhooks named has an incident.
      const alerted = new Set(
        recording.requests
          .filter(r => r.path.includes('/webhooks/'))
          .flatMap(r => (r.body.alerts as any[]).map(a => a.labels.service)),
      );
      expect(
        new Set(replay.incidents.map(i => i.incident.serviceName)),
      ).toEqual(alerted);

      // Faithful: the store holds exactly the recorded spans and log records, moved to now.
      const sent = countRecordedTelemetry(recording);
      const [{ spans }] = await knex('telemetry_spans').count({ spans: '*' });
      const [{ logs }] = await knex('telemetry_logs').count({ logs: '*' });
      expect(Number(spans)).toBe(sent.spans);
      expect(Number(logs)).toBe(sent.logs);
      const [{ newest }] = await knex('telemetry_spans').max({
        newest: 'start_time_ms',
      });
      expect(Number(newest)).toBeGreaterThan(replay.endsAtMs - 30_000);
      expect(Number(newest)).toBeLessThanOrEqual(replay.endsAtMs);

      const score = scoreReplay(replay);
      expect(score.incidents).toHaveLength(replay.incidents.length);
      expect(score.groups).toBeGreaterThanOrEqual(1);
      const summary = summarize([score]);
      expect(summary.incidents).toBe(replay.incidents.length);
      // Every incident is scored in exactly one row: raised by the fault, before it, on a
      // service it cannot reach, no fault.
      expect(
        summary.faultIncidents +
          summary.beforeFaultIncidents +
          summary.unreachedIncidents +
          summary.noFaultIncidents,
      ).toBe(summary.incidents);
      expect(summary.latencyP50Ms).toEqual(expect.any(Number));
      expect(summary.top1).toBeLessThanOrEqual(summary.faultIncidents);
      // Only a fault has a before: a no-fault recording's incidents are all no-fault ones.
      expect(summary.noFaultIncidents).toBe(
        recording.truth.fault ? 0 : replay.incidents.length,
      );
    },
  );

  it('has a second set, recorded on an idle machine, of the same scenarios', () => {
    // examples/lab/recordings-idle: scored by `npm run bench:scenarios -- --lab-only
    // --recordings examples/lab/recordings-idle`, not replayed here (six of them raised no alert).
    const idle = listLabRecordings(
      path.join(labRecordingsDir, '..', 'recordings-idle'),
    ).map(file => loadLabRecording(file));
    expect(idle.map(r => r.scenario).sort()).toEqual(
      files.map(file => loadLabRecording(file).scenario).sort(),
    );
    for (const recording of idle) {
      expect(recording.truth.origin === null).toBe(!recording.truth.fault);
    }
  });

  it('names the file when a recording cannot be replayed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-recording-'));
    const broken = path.join(dir, 'broken.json.gz');
    fs.writeFileSync(
      broken,
      zlib.gzipSync(
        JSON.stringify({ format: 'ai-triage-lab-recording', version: 99 }),
      ),
    );
    const garbage = path.join(dir, 'garbage.json.gz');
    fs.writeFileSync(garbage, 'not gzip');
    try {
      expect(() => loadLabRecording(broken)).toThrow(
        /broken\.json\.gz is not a ai-triage-lab-recording v1: version/,
      );
      expect(() => loadLabRecording(garbage)).toThrow(
        /garbage\.json\.gz cannot be read/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shifts OTLP nanos and alert times, and leaves Alertmanager zero time alone', () => {
    const shifted = shiftTimestamps(
      {
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    startTimeUnixNano: '1700000000000000000',
                    endTimeUnixNano: 1700000000500000000,
                    attributes: [{ key: 'timeUnixNano', value: 'x' }],
                  },
                ],
              },
            ],
          },
        ],
        alerts: [
          {
            startsAt: '2026-12-06T10:00:00.000Z',
            endsAt: '0001-01-01T00:00:00Z',
          },
        ],
      },
      60_000,
    );
    const span = shifted.resourceSpans[0].scopeSpans[0].spans[0];
    expect(span.startTimeUnixNano).toBe('1700000060000000000');
    expect(span.endTimeUnixNano).toBe('1700000060500000000');
    expect(span.attributes[0]).toEqual({ key: 'timeUnixNano', value: 'x' });
    expect(shifted.alerts[0]).toEqual({
      startsAt: '2026-12-06T10:01:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
    });
  });
});
