import { mockServices } from '@backstage/backend-test-utils';
import { SpanRecord, TelemetryQuery } from '@ai-triage/plugin-ai-triage-node';
import { LogShapeCountSource } from '../telemetry/TelemetryStore';
import {
  EMPTY_RESULT,
  LOG_LEAD_MS,
  TelemetryReader,
  logLeadFor,
  splitAt,
} from './TelemetryReader';
import { MIN_BASELINE_MS } from './onset';

const ONSET = Date.parse('2026-12-07T01:42:17.000Z');
const BUCKET_MS = 10_000;

describe('logLeadFor', () => {
  it('keeps the whole lead when the baseline has room for it', () => {
    const baseline = { fromMs: ONSET - 15 * 60_000, toMs: ONSET };
    expect(logLeadFor('cusum', BUCKET_MS, baseline)).toBe(
      BUCKET_MS + LOG_LEAD_MS,
    );
  });

  it('shortens the lead so the logs keep MIN_BASELINE_MS of a short baseline', () => {
    const baseline = { fromMs: ONSET - 76_000, toMs: ONSET };
    const lead = logLeadFor('alert-start', BUCKET_MS, baseline);
    expect(lead).toBe(76_000 - MIN_BASELINE_MS);
    expect(ONSET - lead - baseline.fromMs).toBe(MIN_BASELINE_MS);
  });

  it('gives no lead when the baseline is shorter than MIN_BASELINE_MS, and none without an onset', () => {
    expect(
      logLeadFor('alert-start', BUCKET_MS, {
        fromMs: ONSET - 30_000,
        toMs: ONSET,
      }),
    ).toBe(0);
    expect(
      logLeadFor('window-start', BUCKET_MS, {
        fromMs: ONSET - 900_000,
        toMs: ONSET,
      }),
    ).toBe(0);
    expect(logLeadFor('cusum', BUCKET_MS, null)).toBe(BUCKET_MS + LOG_LEAD_MS);
  });
});

describe('splitAt with the log lead of a short baseline', () => {
  it('counts errors logged early in a 76 s baseline to the baseline, as the spans of that window are', () => {
    const baseline = { fromMs: ONSET - 76_000, toMs: ONSET };
    const incident = { fromMs: ONSET, toMs: ONSET + 160_000 };
    const log = (ms: number) => ({
      serviceName: 'checkout',
      timestampMs: ms,
      severityText: 'ERROR',
      severityNumber: 17,
      body: 'POST /orders failed: POST /reserve timed out after 3000 ms',
      traceId: null,
      spanId: null,
      attributes: {},
    });
    const span = (ms: number): SpanRecord => ({
      traceId: `t${ms}`,
      spanId: `s${ms}`,
      serviceName: 'checkout',
      name: 'POST /orders',
      kind: 2,
      parentSpanId: null,
      startTimeMs: ms,
      durationMs: 3000,
      statusCode: 2,
      statusMessage: null,
      peerService: null,
      attributes: {},
    });
    // An error every 8 s through the baseline and the incident.
    const times = Array.from(
      { length: 30 },
      (_, i) => baseline.fromMs + 1000 + i * 8000,
    );
    const current = {
      ...EMPTY_RESULT,
      logs: times.map(log),
      spans: times.map(span),
    };
    const lead = logLeadFor('alert-start', BUCKET_MS, baseline);
    const split = splitAt(current, EMPTY_RESULT, incident, baseline, lead);
    const baselineSpans = split.baseline.spans!.length;
    const baselineLogs = split.baseline.logs!.length;
    // The logs' baseline keeps MIN_BASELINE_MS of the 76 s: 8 of the spans' 10 errors.
    expect(baselineSpans).toBe(10);
    expect(baselineLogs).toBe(8);
    // With the full lead (the old behaviour) the logs' baseline held 1 of them.
    const full = splitAt(
      current,
      EMPTY_RESULT,
      incident,
      baseline,
      BUCKET_MS + LOG_LEAD_MS,
    );
    expect(full.baseline.logs!.length).toBe(1);
  });
});

describe('TelemetryReader.countLogs', () => {
  it('gives the minute the split falls in to the side that holds more of it', async () => {
    const asked: Array<{ fromMs: number; toMs: number }> = [];
    // A provider that keeps per-minute counts, as the embedded store does; it answers with the
    // windows it was asked for, which is what this test is about.
    const provider: LogShapeCountSource = {
      name: 'counting',
      fetch: async () => ({}),
      logShapeCounts: async (query: TelemetryQuery) => {
        asked.push({ fromMs: query.fromMs, toMs: query.toMs });
        return { shapes: [], complete: true };
      },
    };
    const reader = new TelemetryReader({
      providerTimeoutMs: 1000,
      maxRecordsPerSignal: 100,
      logger: mockServices.logger.mock(),
    });
    const minute = Date.parse('2026-12-07T02:00:00.000Z');
    const read = (incidentFromMs: number) => {
      asked.length = 0;
      return reader.countLogs(
        [provider],
        'checkout',
        undefined,
        { fromMs: incidentFromMs, toMs: minute + 180_000 },
        { fromMs: minute - 30_000, toMs: incidentFromMs },
        [],
      );
    };
    // Split 40 s into a minute: that minute is mostly before the split, so it is baseline.
    await read(minute + 40_000);
    expect(asked).toEqual(
      expect.arrayContaining([
        { fromMs: minute + 60_000, toMs: minute + 180_000 },
        { fromMs: minute - 60_000, toMs: minute + 60_000 },
      ]),
    );
    // Split 10 s into a minute: that minute is mostly after it, so it is the incident's.
    await read(minute + 10_000);
    expect(asked).toEqual(
      expect.arrayContaining([
        { fromMs: minute, toMs: minute + 180_000 },
        { fromMs: minute - 60_000, toMs: minute },
      ]),
    );
  });
});
