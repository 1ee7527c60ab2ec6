import { z } from 'zod';

/**
 * A change of one metric between the baseline window and the incident window.
 *
 * @public
 */
export const metricDeltaSchema = z.object({
  id: z.string(),
  metric: z.string(),
  attributes: z.record(z.string(), z.string()),
  baseline: z.number().nullable(),
  current: z.number(),
  changeRatio: z.number().nullable(),
});

/**
 * Span statistics of one operation in the incident window.
 *
 * @public
 */
export const operationSummarySchema = z.object({
  id: z.string(),
  operation: z.string(),
  spanCount: z.number().int(),
  errorCount: z.number().int(),
  errorRate: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  maxMs: z.number(),
  sampleError: z.string().nullable(),
});

/**
 * A service this one calls, with what the calls cost it.
 *
 * @public
 */
export const dependencySummarySchema = z.object({
  id: z.string(),
  dependency: z.string(),
  callCount: z.number().int(),
  errorCount: z.number().int(),
  errorRate: z.number(),
  p95Ms: z.number(),
  /** Share of the service's server-span time spent waiting on this dependency (0..1). */
  latencyShare: z.number(),
});

/**
 * Log records of one template (variables masked as `<*>`).
 *
 * @public
 */
export const logTemplateSchema = z.object({
  id: z.string(),
  template: z.string(),
  level: z.string(),
  count: z.number().int(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  sample: z.string(),
});

/**
 * What enrichment collected for one incident: bounded, redacted, with a stable id on every piece
 * of evidence so hypotheses can cite it.
 *
 * @public
 */
export const contextDocumentSchema = z.object({
  version: z.literal(1),
  incidentId: z.string(),
  serviceName: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  baselineWindow: z.object({ from: z.string(), to: z.string() }),
  alerts: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: z.string(),
      severity: z.string(),
      summary: z.string().nullable(),
      startsAt: z.string(),
    }),
  ),
  operations: z.array(operationSummarySchema),
  dependencies: z.array(dependencySummarySchema),
  logTemplates: z.array(logTemplateSchema),
  metricDeltas: z.array(metricDeltaSchema),
  missing: z.array(z.string()),
  truncated: z.array(z.string()),
  redactions: z.number().int(),
});

/** @public */
export type ContextDocument = z.infer<typeof contextDocumentSchema>;
/** @public */
export type MetricDelta = z.infer<typeof metricDeltaSchema>;
/** @public */
export type OperationSummary = z.infer<typeof operationSummarySchema>;
/** @public */
export type DependencySummary = z.infer<typeof dependencySummarySchema>;
/** @public */
export type LogTemplate = z.infer<typeof logTemplateSchema>;

/**
 * Every evidence id a context document carries: what hypotheses may cite.
 *
 * @public
 */
export function evidenceIdsOf(context: ContextDocument): Set<string> {
  return new Set(
    [
      ...context.alerts,
      ...context.operations,
      ...context.dependencies,
      ...context.logTemplates,
      ...context.metricDeltas,
    ].map(item => item.id),
  );
}
