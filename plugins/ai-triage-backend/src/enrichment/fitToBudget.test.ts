import { ContextDocument } from '@ai-triage/plugin-ai-triage-common';
import { fitToBudget, withSize } from './fitToBudget';

function documentWithLocalization(services: number): ContextDocument {
  const names = Array.from({ length: services }, (_, i) => `service-${i}`);
  return {
    version: 1,
    incidentId: 'i1',
    serviceName: 'service-0',
    window: {
      from: '2026-12-06T12:00:00.000Z',
      to: '2026-12-06T12:05:00.000Z',
    },
    baselineWindow: {
      from: '2026-12-06T11:55:00.000Z',
      to: '2026-12-06T12:00:00.000Z',
    },
    alerts: [],
    operations: [],
    dependencies: [],
    logTemplates: [],
    metricDeltas: [],
    missing: [],
    truncated: [],
    redactions: 0,
    localization: {
      origin: 'service-3',
      path: names.slice(0, 4),
      suspects: names.map((service, hops) => ({
        service,
        entityRef: `component:default/${service}`,
        hops,
        anomalyScore: services - hops,
        selfTimeP95Ms: 10,
        baselineSelfTimeP95Ms: 9,
        originatingErrors: 0,
        passedOnErrors: 0,
        kind: null,
        changed: false,
        baselineKnown: true,
        evidenceIds: [`op:${service}/GET /`],
      })),
      edges: names.slice(1).map((to, i) => ({
        from: names[i],
        to,
        source: 'traces' as const,
        callCount: 100,
        errorRate: 0,
        baselineErrorRate: 0,
        p95Ms: 10,
        baselineP95Ms: 10,
        changed: [],
      })),
      maxDepth: 4,
      method: 'baro-mad+self-time',
    },
    changes: [],
  };
}

describe('fitToBudget', () => {
  it('cuts the localization’s edges and suspects from the least significant end, saying so', () => {
    const full = documentWithLocalization(200);
    const fitted = withSize(fitToBudget(full, 8_192));
    expect(fitted.size!.bytes).toBeLessThanOrEqual(8_192);
    const localization = fitted.localization!;
    expect(localization.origin).toBe('service-3');
    expect(localization.suspects.length).toBeLessThan(200);
    expect(localization.suspects[0].service).toBe('service-0');
    expect(localization.edges[0]).toMatchObject({
      from: 'service-0',
      to: 'service-1',
    });
    expect(fitted.truncated).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^localization\.edges: kept \d+ of 199$/),
        expect.stringMatching(/^localization\.suspects: kept \d+ of 200$/),
      ]),
    );
  });

  it('leaves a document within its budget as it is', () => {
    const small = documentWithLocalization(3);
    expect(fitToBudget(small, 32_768)).toBe(small);
  });
});
