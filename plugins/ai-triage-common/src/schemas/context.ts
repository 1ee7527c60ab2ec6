import { z } from 'zod';
import {
  changeEventSchema,
  localizationSchema,
  onsetSchema,
} from './localization';

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
  /** current - baseline; null without a baseline. */
  change: z.number().nullable().optional(),
  /** The service the metric belongs to; absent means the incident's service. */
  service: z.string().optional(),
  /**
   * The limit the metric is read against (a pool size, a memory or CPU limit), when known: a
   * value near its limit is evidence even without a baseline when errors naming the resource,
   * restarts or the wait itself go with it; within the baseline's noise (see anomalyScore) it
   * is none.
   */
  limit: z.number().nullable().optional(),
  /**
   * Robust anomaly score of the incident window's mean against the baseline window's points, as
   * BARO scores metrics: (current - median) / (1.4826 x MAD), the MAD floored at 5 % of the
   * larger of |median| and |current|; signed (a drop is negative). A rise whose score is below 3
   * lies within the baseline's own noise. Null when the baseline has fewer than 3 points.
   */
  anomalyScore: z.number().nullable().optional(),
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
  /** The service the operation belongs to (the incident's service). */
  service: z.string().optional(),
  /** Spans of this operation in the baseline window (0 when it did not run there). */
  baselineSpanCount: z.number().int().optional(),
  baselineErrorCount: z.number().int().optional(),
  /** p95 latency in the baseline window; null when it did not run there. */
  baselineP95Ms: z.number().nullable().optional(),
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
  /**
   * Share of the service's failed entry spans (server or consumer) whose trace holds a failed
   * call to this dependency (0..1).
   */
  errorShare: z.number().optional(),
  /** The calling service; absent means the incident's service. */
  service: z.string().optional(),
  /** Calls in the baseline window (0 when there were none). */
  baselineCallCount: z.number().int().optional(),
  baselineErrorCount: z.number().int().optional(),
  /** p95 latency in the baseline window; null without calls there. */
  baselineP95Ms: z.number().nullable().optional(),
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
  /** Records of this template in the baseline window: 0 means it is new. */
  baselineCount: z.number().int().optional(),
  /** The service that logged it; absent means the incident's service. */
  service: z.string().optional(),
  /** Up to three trace ids of its records (smallest first), to tie logs to traces. */
  traceIds: z.array(z.string()).optional(),
  /** Ids of the operations and dependencies whose spans emitted its records (by trace/span id). */
  relatedIds: z.array(z.string()).optional(),
});

/**
 * One step of a trace's critical path: the span that kept its parent waiting longest.
 *
 * @public
 */
export const criticalPathStepSchema = z.object({
  service: z.string(),
  operation: z.string(),
  durationMs: z.number(),
  /** Time of this span not covered by its child on the path. */
  selfMs: z.number(),
  error: z.boolean(),
});

/**
 * The critical path of one of the slowest traces through the service.
 *
 * @public
 */
export const criticalPathSchema = z.object({
  id: z.string(),
  traceId: z.string(),
  durationMs: z.number(),
  error: z.boolean(),
  steps: z.array(criticalPathStepSchema),
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
  /**
   * Whether every log template's `count` and `baselineCount` counts all records of its window
   * that the answering providers hold (from counts the embedded store keeps as logs arrive, or
   * from records read in full); false when records were cut at a provider's limit or counted
   * from a sample. Providers that failed are named in `missing`.
   */
  logCountsExact: z.boolean().optional(),
  metricDeltas: z.array(metricDeltaSchema),
  missing: z.array(z.string()),
  truncated: z.array(z.string()),
  redactions: z.number().int(),
  /** Redactions by kind (`email`, `jwt`, `custom:<name>`, ...); they add up to `redactions`. */
  redactionsByKind: z.record(z.string(), z.number().int()).optional(),
  /** Critical paths of the slowest traces, slowest first. */
  criticalPaths: z.array(criticalPathSchema).optional(),
  /**
   * When the fault began on the alerted service and the healthy baseline before it. Absent in
   * documents made before onset detection.
   */
  onset: onsetSchema.optional(),
  /**
   * Where across the dependency graph the fault began: origin, path, suspects and edges.
   * Operations, log templates and metric deltas of other services than the alerted one carry
   * their `service`.
   */
  localization: localizationSchema.optional(),
  /** Deploys and other changes of the services looked at, oldest first (evidence ids `change:`). */
  changes: z.array(changeEventSchema).optional(),
  /** Size of this document as stored: UTF-8 bytes of its JSON, and an estimate of its tokens. */
  size: z
    .object({ bytes: z.number().int(), estimatedTokens: z.number().int() })
    .optional(),
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
/** @public */
export type CriticalPath = z.infer<typeof criticalPathSchema>;

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
      ...(context.criticalPaths ?? []),
      ...(context.changes ?? []),
    ].map(item => item.id),
  );
}
