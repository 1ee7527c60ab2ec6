import { MISSING_BASELINE_PROBABILITY_CAP } from '@ai-triage/plugin-ai-triage-common';
import { testContext, testTemplate } from '../../__testUtils__/contexts';
import { binomialTail, templateSpiked } from './baseline';
import { HeuristicReasoner } from './HeuristicReasoner';

/** Windows of `windowMinutes` from the onset at 10:00, and a baseline of `baselineMinutes` before it. */
function windows(windowMinutes: number, baselineMinutes: number) {
  const at = Date.parse('2026-11-24T10:00:00.000Z');
  const iso = (minutes: number) =>
    new Date(at + minutes * 60_000).toISOString();
  return {
    window: { from: iso(0), to: iso(windowMinutes) },
    baselineWindow: { from: iso(-baselineMinutes), to: iso(0) },
  };
}

describe('binomialTail', () => {
  it('is the upper tail of a binomial distribution', () => {
    expect(binomialTail(5, 5, 0.6)).toBeCloseTo(0.6 ** 5, 10);
    // P(X >= 1) = 1 - (1 - p)^n
    expect(binomialTail(10, 1, 0.2)).toBeCloseTo(1 - 0.8 ** 10, 10);
    // Symmetric around the mean of a fair coin: P(X >= 51 of 100) + P(X >= 50) = 1.
    expect(binomialTail(100, 51, 0.5) + binomialTail(100, 50, 0.5)).toBeCloseTo(
      1,
      10,
    );
    expect(binomialTail(10, 0, 0.3)).toBe(1);
    expect(binomialTail(10, 11, 0.3)).toBe(0);
  });

  it('stays finite where the terms underflow a direct product (many records)', () => {
    const tail = binomialTail(20_000, 10_300, 0.5);
    // 300 above a mean of 10 000 with a standard deviation of ~70.7: about 4.2 sigma.
    expect(tail).toBeGreaterThan(0);
    expect(tail).toBeLessThan(1e-4);
    expect(binomialTail(20_000, 9_900, 0.5)).toBeGreaterThan(0.9);
  });
});

describe('templateSpiked, against the lengths of the windows', () => {
  const template = (count: number, baselineCount: number) =>
    testTemplate('timeout', 'POST <*>/reserve timed out after <*> ms', {
      count,
      baselineCount,
    });

  it('counts a new template as new only when the baseline was long enough to have shown it', () => {
    // 5 records in two minutes, none in the minute before: a steady template puts all 5 in
    // the longer window with probability (2/3)^5 = 13 %. Not evidence.
    expect(templateSpiked(template(5, 0), windows(2, 1))).toBe('unknown');
    // The same 5 against five quiet minutes before: (2/7)^5 = 0.2 %.
    expect(templateSpiked(template(5, 0), windows(2, 5))).toBe('changed');
    // 40 records against a short baseline: (2/3)^40, far below 5 %.
    expect(templateSpiked(template(40, 0), windows(2, 1))).toBe('changed');
  });

  it('reads a steady or too small count as unchanged, and no baseline count as unknown', () => {
    expect(templateSpiked(template(4, 0), windows(2, 5))).toBe('unchanged');
    expect(templateSpiked(template(30, 20), windows(2, 2))).toBe('unchanged');
    expect(
      templateSpiked(
        testTemplate('t', 'x <*>', { count: 50, baselineCount: undefined }),
        windows(2, 5),
      ),
    ).toBe('unknown');
  });

  it('compares rates, not counts: twice the count over a window twice as long is no rise', () => {
    // 25 now over 10 minutes, 10 before over 5: the same rate; the count rule alone (25 >= 2 x
    // 10 + 5) would call it a spike.
    expect(templateSpiked(template(25, 10), windows(10, 5))).toBe('unknown');
    expect(templateSpiked(template(25, 10), windows(5, 10))).toBe('changed');
  });
});

describe('an error template against a short baseline, in the reasoner', () => {
  const reasoner = new HeuristicReasoner();
  const context = (baselineMinutes: number) =>
    testContext({
      serviceName: 'storefront',
      ...windows(2, baselineMinutes),
      logTemplates: [
        testTemplate(
          'reserve',
          'POST /checkout failed: POST <*>/orders answered <*>: POST <*>/reserve timed out after <*> ms',
          { count: 5, baselineCount: 0 },
        ),
      ],
    });

  it('is only a lead, saying the baseline is too short', async () => {
    const answer = await reasoner.reason(context(1));
    expect(answer.hypotheses.length).toBeGreaterThan(0);
    for (const h of answer.hypotheses) {
      expect(h.probability).toBeLessThanOrEqual(
        MISSING_BASELINE_PROBABILITY_CAP,
      );
    }
    expect(answer.hypotheses[0].reasoning).toMatch(
      /baseline window is too short to show the template is new or spiked \(5 records now, 0 before\)/,
    );
  });

  it('is evidence when the baseline was long enough to show it new', async () => {
    const answer = await reasoner.reason(context(5));
    expect(answer.hypotheses[0].probability).toBeGreaterThan(
      MISSING_BASELINE_PROBABILITY_CAP,
    );
    expect(answer.hypotheses[0].reasoning).not.toMatch(/too short/);
  });
});
