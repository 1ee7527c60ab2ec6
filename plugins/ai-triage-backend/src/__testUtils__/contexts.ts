import { ContextDocument } from '@ai-triage/plugin-ai-triage-common';

/**
 * A context document for checkout with a 15-minute window from 2026-11-24T10:00Z and no evidence;
 * add what the test is about through `overrides`.
 */
export function testContext(
  overrides: Partial<ContextDocument> = {},
): ContextDocument {
  return {
    version: 1,
    incidentId: 'inc-1',
    serviceName: 'checkout',
    window: {
      from: '2026-11-24T10:00:00.000Z',
      to: '2026-11-24T10:15:00.000Z',
    },
    baselineWindow: {
      from: '2026-11-24T09:45:00.000Z',
      to: '2026-11-24T10:00:00.000Z',
    },
    alerts: [],
    operations: [],
    dependencies: [],
    logTemplates: [],
    metricDeltas: [],
    missing: [],
    truncated: [],
    redactions: 0,
    ...overrides,
  };
}

/** A context whose only evidence is payments, slow and failing, as checkout's dependency. */
export function slowPaymentsContext(incidentId: string): ContextDocument {
  return testContext({
    incidentId,
    dependencies: [
      {
        id: 'dep:payments',
        dependency: 'payments',
        callCount: 10,
        errorCount: 2,
        errorRate: 0.2,
        p95Ms: 2100,
        latencyShare: 0.9,
      },
    ],
  });
}

type Parts = Pick<
  ContextDocument,
  'operations' | 'dependencies' | 'logTemplates' | 'metricDeltas'
>;

/** An onset at 10:05 with a 20-minute pre-onset baseline; override to make it short or absent. */
export function testOnset(
  overrides: Partial<NonNullable<ContextDocument['onset']>> = {},
): NonNullable<ContextDocument['onset']> {
  return {
    at: '2026-11-24T10:05:00.000Z',
    method: 'change-point',
    series: 'errors',
    baselineWindow: {
      from: '2026-11-24T09:45:00.000Z',
      to: '2026-11-24T10:05:00.000Z',
    },
    baselineMinutes: 20,
    incidentMinutes: 10,
    baselineSufficient: true,
    baselineSource: 'pre-onset',
    ...overrides,
  };
}

/** A dependency of the alerted service, healthy and as in its baseline unless overridden. */
export function testDependency(
  dependency: string,
  overrides: Partial<Parts['dependencies'][number]> = {},
): Parts['dependencies'][number] {
  return {
    id: `dep:${dependency}`,
    dependency,
    callCount: 600,
    errorCount: 0,
    errorRate: 0,
    p95Ms: 40,
    latencyShare: 0.2,
    errorShare: 0,
    baselineCallCount: 1200,
    baselineErrorCount: 0,
    baselineP95Ms: 38,
    ...overrides,
  };
}

/** An operation (of the alerted service unless `service` is given), healthy unless overridden. */
export function testOperation(
  operation: string,
  overrides: Partial<Parts['operations'][number]> = {},
): Parts['operations'][number] {
  return {
    id: `op:${overrides.service ? `${overrides.service}:` : ''}${operation}`,
    operation,
    spanCount: 600,
    errorCount: 0,
    errorRate: 0,
    p50Ms: 20,
    p95Ms: 45,
    maxMs: 80,
    sampleError: null,
    baselineSpanCount: 1200,
    baselineErrorCount: 0,
    baselineP95Ms: 44,
    ...overrides,
  };
}

/** A log template that first appeared at 10:05:10 and had no records in the baseline. */
export function testTemplate(
  id: string,
  template: string,
  overrides: Partial<Parts['logTemplates'][number]> = {},
): Parts['logTemplates'][number] {
  return {
    id: `log:${id}`,
    template,
    level: 'ERROR',
    count: 120,
    firstSeen: '2026-11-24T10:05:10.000Z',
    lastSeen: '2026-11-24T10:14:50.000Z',
    sample: template.replace(/<\*>/g, '42'),
    baselineCount: 0,
    ...overrides,
  };
}

/** A service localization looked at, unchanged with a known baseline unless overridden. */
export function testSuspect(
  service: string,
  hops: number,
  overrides: Partial<
    NonNullable<ContextDocument['localization']>['suspects'][number]
  > = {},
): NonNullable<ContextDocument['localization']>['suspects'][number] {
  return {
    service,
    entityRef: `component:default/${service}`,
    hops,
    anomalyScore: 0.8,
    selfTimeP95Ms: 12,
    baselineSelfTimeP95Ms: 11,
    originatingErrors: 0,
    passedOnErrors: 0,
    kind: null,
    changed: false,
    baselineKnown: true,
    evidenceIds: [],
    ...overrides,
  };
}

/** A firing alert of the alerted service. */
export function testFiringAlert(
  name = 'HighErrorRate',
): ContextDocument['alerts'][number] {
  return {
    id: `alert:${name}`,
    name,
    status: 'firing',
    severity: 'critical',
    summary: null,
    startsAt: '2026-11-24T10:06:00.000Z',
  };
}
