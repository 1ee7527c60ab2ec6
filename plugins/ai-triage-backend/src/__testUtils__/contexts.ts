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
