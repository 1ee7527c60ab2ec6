import { detectOnset, bucketWidthMs } from './onset';
import {
  FAULT_MS,
  FAULT_S,
  HEALTHY_S,
  shopTraces,
} from '../__testUtils__/shopTraces';

const END_MS = FAULT_MS + FAULT_S * 1000;
const window = { fromMs: END_MS - 15 * 60_000, toMs: END_MS };
const fixedBaseline = {
  fromMs: window.fromMs - 15 * 60_000,
  toMs: window.fromMs,
};

describe('detectOnset', () => {
  it('buckets 10 s for a few minutes of data and at most 60 s for hours', () => {
    expect(bucketWidthMs(210_000)).toBe(10_000);
    expect(bucketWidthMs(30 * 60_000)).toBe(60_000);
  });

  it('finds the onset of an error fault on the error series within one bucket', () => {
    const spans = shopTraces({
      failing: { service: 'frontend', share: 0.2, message: 'boom' },
    });
    const { onset, onsetMs, baseline } = detectOnset({
      spans,
      serviceName: 'frontend',
      alertStartsMs: [FAULT_MS + 45_000],
      window,
      fixedBaseline,
      maxBaselineMs: 15 * 60_000,
    });
    expect(onset.method).toBe('change-point');
    expect(onset.series).toBe('errors');
    expect(Math.abs(onsetMs - FAULT_MS)).toBeLessThanOrEqual(10_000);
    expect(onset.baselineSource).toBe('pre-onset');
    expect(onset.baselineSufficient).toBe(true);
    expect(baseline!.toMs).toBe(onsetMs);
    expect(onset.baselineMinutes).toBeGreaterThan(1.8);
    expect(onset.incidentMinutes).toBeLessThan(1.7);
  });

  it('finds the onset of a slowdown two hops down on the duration series', () => {
    const spans = shopTraces({ slow: { service: 'payments', ms: 80 } });
    const { onset, onsetMs } = detectOnset({
      spans,
      serviceName: 'frontend',
      alertStartsMs: [FAULT_MS + 60_000],
      window,
      fixedBaseline,
      maxBaselineMs: 15 * 60_000,
    });
    expect(onset.series).toBe('duration');
    expect(Math.abs(onsetMs - FAULT_MS)).toBeLessThanOrEqual(10_000);
  });

  it('finds the same onset in the same telemetry shifted by any amount', () => {
    const spans = shopTraces({
      failing: { service: 'frontend', share: 0.2, message: 'boom' },
    });
    const onsetAfter = (shiftMs: number) =>
      detectOnset({
        spans: spans.map(s => ({ ...s, startTimeMs: s.startTimeMs + shiftMs })),
        serviceName: 'frontend',
        alertStartsMs: [FAULT_MS + 45_000 + shiftMs],
        window: {
          fromMs: window.fromMs + shiftMs,
          toMs: window.toMs + shiftMs,
        },
        fixedBaseline: {
          fromMs: fixedBaseline.fromMs + shiftMs,
          toMs: fixedBaseline.toMs + shiftMs,
        },
        maxBaselineMs: 15 * 60_000,
      }).onsetMs - shiftMs;
    const unshifted = onsetAfter(0);
    for (const shift of [1_234, 3_700, 7_777, 59_999]) {
      expect(onsetAfter(shift)).toBe(unshifted);
    }
  });

  it('says a baseline of 30 s is not sufficient', () => {
    const spans = shopTraces(
      { failing: { service: 'frontend', share: 0.5, message: 'boom' } },
      { healthyS: 30 },
    );
    const { onset } = detectOnset({
      spans,
      serviceName: 'frontend',
      alertStartsMs: [FAULT_MS + 30_000],
      window,
      fixedBaseline,
      maxBaselineMs: 15 * 60_000,
    });
    expect(onset.baselineSufficient).toBe(false);
    expect(onset.baselineMinutes).toBeLessThan(1);
  });

  it('finds no change point in steady traffic and falls back to the alert start', () => {
    const spans = shopTraces({});
    const alertMs = FAULT_MS + 30_000;
    const { onset, onsetMs } = detectOnset({
      spans,
      serviceName: 'frontend',
      alertStartsMs: [alertMs],
      window,
      fixedBaseline,
      maxBaselineMs: 15 * 60_000,
    });
    expect(onset.method).toBe('alert-start');
    expect(onsetMs).toBe(alertMs);
    expect(onset.baselineSufficient).toBe(true);
    expect(HEALTHY_S).toBe(120);
  });

  it('has no baseline without data before the onset', () => {
    const { onset } = detectOnset({
      spans: [],
      serviceName: 'frontend',
      alertStartsMs: [FAULT_MS],
      window,
      fixedBaseline,
      maxBaselineMs: 15 * 60_000,
    });
    expect(onset).toMatchObject({
      method: 'window-start',
      baselineSource: 'none',
      baselineSufficient: false,
      baselineWindow: null,
    });
  });
});
