import { LogRecord } from '@ai-triage/plugin-ai-triage-node';
import { Redactor } from './redact';
import { summarizeLogs } from './summarizeLogs';

const FROM_MS = Date.parse('2026-11-24T10:00:00.000Z');

function log(timestampMs: number, body: string): LogRecord {
  return {
    serviceName: 'checkout',
    timestampMs,
    severityText: 'WARN',
    severityNumber: 13,
    body,
    traceId: null,
    spanId: null,
    attributes: {},
  };
}

describe('summarizeLogs', () => {
  const options = { redactor: Redactor.create(), tally: {} };

  it('counts a large baseline from an order-independent sample, and says so', () => {
    const current = [log(FROM_MS, 'cache 7 is stale, refreshing')];
    const baseline = Array.from({ length: 20_000 }, (_, i) =>
      log(FROM_MS - 900_000 + i * 37, `cache ${i % 97} is stale, refreshing`),
    );
    const sampled = summarizeLogs(current, baseline, {
      ...options,
      maxBaselineLogs: 2_000,
    });
    expect(sampled.notes).toEqual([
      'logs: baseline counted from a sample of 1 in 10 records',
    ]);
    const [template] = sampled.logTemplates;
    expect(template.template).toBe('cache <*> is stale, refreshing');
    expect(template.baselineCount).toBeGreaterThan(17_000);
    expect(template.baselineCount).toBeLessThan(23_000);
    expect(template.baselineCount! % 10).toBe(0);

    const reversed = summarizeLogs(current, [...baseline].reverse(), {
      ...options,
      maxBaselineLogs: 2_000,
    });
    expect(reversed).toEqual(sampled);

    const exact = summarizeLogs(current, baseline, options);
    expect(exact.notes).toEqual([]);
    expect(exact.logTemplates[0].baselineCount).toBe(20_000);
  });
});
