import { z } from 'zod';

/**
 * What kind of fault a hypothesis names. Kinds describe how a fault shows in telemetry, so a
 * reviewer, the scoring and the UI can compare answers across reasoners:
 *
 * - `latency`: the origin's own work got slow (self time grew), cause inside it unknown.
 * - `errors`: the origin's own operations fail (errors that originate there, not passed on).
 * - `resource-wait`: time waiting for a resource inside the origin: a connection pool, a lock,
 *   a queue, a thread pool. The origin's own time, never the resource's.
 * - `saturation`: CPU throttling, memory pressure or GC, a full disk: a resource near its limit.
 * - `deploy`: a change of the origin (a new `service.version`, a config rollout) lines up with
 *   the onset.
 * - `rate-limit`: an external provider refuses calls for quota (HTTP 429, "rate limit").
 * - `timeout`: calls time out (the callee is slow or unreachable).
 * - `network`: DNS failures, TLS handshake errors, refused or reset connections.
 * - `bad-input`: a poison message or malformed input the origin cannot process.
 * - `unknown`: a suspect without a recognizable kind.
 *
 * @public
 */
export const FAULT_KINDS = [
  'latency',
  'errors',
  'resource-wait',
  'saturation',
  'deploy',
  'rate-limit',
  'timeout',
  'network',
  'bad-input',
  'unknown',
] as const;
/** @public */
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Probability cut-offs from which the qualitative confidence label is derived: below `medium`
 * is `low`, from `medium` is `medium`, from `high` is `high`.
 *
 * @public
 */
export const CONFIDENCE_CUTOFFS = { medium: 0.4, high: 0.7 } as const;

/**
 * The most a hypothesis may claim when the comparison it rests on has no (or too little)
 * baseline: an unknown is never evidence of change. Below {@link CONFIDENCE_CUTOFFS}.medium,
 * so such a hypothesis is always `low`.
 *
 * @public
 */
export const MISSING_BASELINE_PROBABILITY_CAP = 0.3;

/**
 * The confidence label of a probability, by {@link CONFIDENCE_CUTOFFS}.
 *
 * @public
 */
export function confidenceOf(probability: number): 'low' | 'medium' | 'high' {
  if (probability >= CONFIDENCE_CUTOFFS.high) return 'high';
  if (probability >= CONFIDENCE_CUTOFFS.medium) return 'medium';
  return 'low';
}

/**
 * The probability that stands for a label when no number was given (hypotheses stored before
 * probabilities, or an answer with a label only): the middle of the label's band of
 * {@link CONFIDENCE_CUTOFFS} (low 0.2, medium 0.55, high 0.85).
 *
 * @public
 */
export function probabilityOfLabel(label: 'low' | 'medium' | 'high'): number {
  if (label === 'high') return (CONFIDENCE_CUTOFFS.high + 1) / 2;
  if (label === 'medium') {
    return (CONFIDENCE_CUTOFFS.medium + CONFIDENCE_CUTOFFS.high) / 2;
  }
  return CONFIDENCE_CUTOFFS.medium / 2;
}

/**
 * When the incident's fault began on the alerted service, and the healthy period it is
 * compared with.
 *
 * The onset is found on the alerted service's own RED series (request rate, errors, duration per
 * minute) and the alerts' start times. `baselineWindow` is the healthy period just before the
 * onset; the incident side of every comparison starts at the onset, so healthy minutes do not
 * dilute it. With `baselineSufficient` false, no comparison in the context is evidence of change.
 *
 * @public
 */
export const onsetSchema = z.object({
  /** The onset instant (ISO 8601), or null when none was found (then the window start is used). */
  at: z.string().nullable(),
  /** How it was found: a change point on a series, the earliest alert start, or neither. */
  method: z.enum(['change-point', 'alert-start', 'window-start']),
  /** The series the change point was found on (`errors`, `duration`, `requests`), if any. */
  series: z.string().nullable(),
  /** The healthy period compared against; null when there is none. */
  baselineWindow: z.object({ from: z.string(), to: z.string() }).nullable(),
  /** Minutes of data on each side of the comparison. */
  baselineMinutes: z.number(),
  incidentMinutes: z.number(),
  /** Whether the baseline had enough data for a change to count as evidence. */
  baselineSufficient: z.boolean(),
  /** Where the baseline came from: before the onset, the fixed earlier window, or nowhere. */
  baselineSource: z.enum(['pre-onset', 'fixed-window', 'none']),
});

/** @public */
export type Onset = z.infer<typeof onsetSchema>;

/**
 * A call edge between two services in the incident window, from traces (client span in `from`,
 * server span in `to`, or `peer.service`/`server.address` mapped to a `service.name`) or from
 * catalog relations (`dependsOn`, `consumesApi`/`providesApi`).
 *
 * @public
 */
export const serviceEdgeSchema = z.object({
  from: z.string(),
  to: z.string(),
  source: z.enum(['traces', 'catalog', 'both']),
  callCount: z.number().int(),
  errorRate: z.number(),
  baselineErrorRate: z.number().nullable(),
  p95Ms: z.number().nullable(),
  baselineP95Ms: z.number().nullable(),
  /** What changed on this edge against the baseline (empty: nothing, or no baseline). */
  changed: z.array(z.enum(['latency', 'errors'])),
});

/** @public */
export type ServiceEdge = z.infer<typeof serviceEdgeSchema>;

/**
 * One service localization looked at, with its own behaviour (not what it passes on).
 *
 * @public
 */
export const serviceSuspectSchema = z.object({
  service: z.string(),
  /** The catalog entity of the service, when known. */
  entityRef: z.string().nullable(),
  /** Hops from the alerted service (0 = the alerted service). */
  hops: z.number().int(),
  /** Robust anomaly score of its own behaviour against the baseline (median/MAD), >= 0. */
  anomalyScore: z.number(),
  /** Its self time (span time not covered by children) p95, now and in the baseline. */
  selfTimeP95Ms: z.number().nullable(),
  baselineSelfTimeP95Ms: z.number().nullable(),
  /** Errors that originate in it (no failing child) and errors it passes on, in the window. */
  originatingErrors: z.number().int(),
  passedOnErrors: z.number().int(),
  /** The kind its own evidence points to, if any. */
  kind: z.enum(FAULT_KINDS).nullable(),
  /** Whether its own behaviour changed against the baseline. */
  changed: z.boolean(),
  /** Whether the comparison had a baseline at all (false: `changed` is not evidence). */
  baselineKnown: z.boolean(),
  /** Evidence ids of the context about this service. */
  evidenceIds: z.array(z.string()),
});

/** @public */
export type ServiceSuspect = z.infer<typeof serviceSuspectSchema>;

/**
 * Where across the dependency graph the fault began.
 *
 * `origin` is the deepest service whose own behaviour changed (not one that only passes a
 * change on); `path` runs from the alerted service to the origin, both included. Hypotheses list
 * `affectedComponents` in the same order: origin first, then the path back to the alerted
 * service.
 *
 * @public
 */
export const localizationSchema = z.object({
  /** The probable origin service, or null when no service's own behaviour changed. */
  origin: z.string().nullable(),
  /** Services from the alerted one to the origin, both included. */
  path: z.array(z.string()),
  /** Every service looked at, most suspect first. */
  suspects: z.array(serviceSuspectSchema),
  /** The edges walked (and the others seen) in the window. */
  edges: z.array(serviceEdgeSchema),
  /** How deep the walk was allowed to go. */
  maxDepth: z.number().int(),
  /** The method, for the record (e.g. `baro-mad+self-time`). */
  method: z.string(),
});

/** @public */
export type Localization = z.infer<typeof localizationSchema>;

/**
 * A change event: a deploy (a new `service.version` in the resource attributes, or a catalog
 * change) of one service, with its time.
 *
 * @public
 */
export const changeEventSchema = z.object({
  id: z.string(),
  service: z.string(),
  kind: z.enum(['deploy', 'config', 'restart']),
  at: z.string(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  summary: z.string(),
});

/** @public */
export type ChangeEvent = z.infer<typeof changeEventSchema>;

/**
 * A group of incidents that localization traced to one fault: the same origin in overlapping
 * windows. The origin's own incident (or the first one) leads; members reuse its triage.
 *
 * How incidents are grouped (the backend's docs/architecture.md, "Fault groups", has the
 * details): before it is enriched, an incident joins a group whose fault graph (the union of its
 * localizations' path, suspects and edges, and its members' services) contains its service, and
 * then is neither enriched nor reasoned over; incidents whose services call each other in the
 * window are grouped at once, the service they call into being the provisional origin (a guess
 * undone when that service's localization finds no change). After the lead is enriched,
 * `localization.origin` places the group, and the open incidents of services that call the
 * origin join it. When the origin's own incident arrives it becomes the lead and the group is
 * triaged again.
 *
 * @public
 */
export const faultGroupSchema = z.object({
  id: z.string(),
  /** The probable origin service. */
  origin: z.string(),
  originEntityRef: z.string().nullable(),
  leadIncidentId: z.string(),
  /** Every member, the lead first, then in the order they were first seen. */
  memberIncidentIds: z.array(z.string()),
  firstSeenAt: z.string(),
  /** When a member was last seen. */
  lastSeenAt: z.string(),
});

/** @public */
export type FaultGroup = z.infer<typeof faultGroupSchema>;
