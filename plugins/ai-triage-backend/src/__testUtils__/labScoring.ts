import {
  CONFIDENCE_CUTOFFS,
  Hypothesis,
} from '@ai-triage/plugin-ai-triage-common';
import {
  LabReplay,
  ReplayedIncident,
  ShownTriage,
  labReachOf,
} from './labRecordings';

/*
 * Scores a replayed lab recording against its truth record, over every incident it raised (not
 * only the one expected to carry the cause). Two kinds of incident of a fault recording cannot
 * have been caused by the fault, and are scored like incidents of a no-fault recording
 * (abstention expected), each in its own row, never against the fault's origin and kind:
 * - one whose alerts all ended before the fault was injected;
 * - one of a service the fault cannot reach: neither the origin nor a service that calls it,
 *   directly or not, in the lab's call graph (see labReachOf). A fault travels up its callers;
 *   the truth's first alert and hops are measured over the same services. Such an incident
 *   was raised on the recording machine's own noise (a load burst, a slow disk) while the
 *   fault ran. What this cannot see: a fault that reaches a service some other way than by
 *   calls (a shared host's CPU, a shared database's locks taken outside the graph).
 */

/**
 * Whether an alert ended before `faultAtMs`: resolved, with an end before it. A firing alert,
 * or a resolved one without an end, may have been firing when the fault began.
 */
function endedBefore(
  alert: ReplayedIncident['alerts'][number],
  faultAtMs: number,
): boolean {
  if (alert.status !== 'resolved' || alert.endsAt === null) return false;
  const endsAt = Date.parse(alert.endsAt);
  return Number.isFinite(endsAt) && endsAt < faultAtMs;
}

/**
 * Whether an incident was raised before the fault: it has alerts and every one of them was
 * resolved before the fault was injected (`faultAtMs`, in the replay's shifted time). Any alert
 * that started at or after the fault, or started before and was still firing when it began,
 * makes the incident the fault's. Each alert's last state counts (an alert that fired again
 * after resolving carries its new start and no end).
 */
export function beforeFault(
  incident: Pick<ReplayedIncident, 'alerts'>,
  faultAtMs: number,
): boolean {
  return (
    incident.alerts.length > 0 &&
    incident.alerts.every(alert => endedBefore(alert, faultAtMs))
  );
}

/** The service a hypothesis names as the origin: `origin`, else its first affected component. */
export function originOf(hypothesis: Hypothesis): string | null {
  const named = hypothesis.origin ?? hypothesis.affectedComponents[0];
  if (!named) return null;
  // Entity refs (component:default/payments) and plain service names compare by name.
  return named.replace(/^[a-z]+:(?:[a-z0-9-]+\/)?/i, '').toLowerCase();
}

function ranked(incident: ShownTriage): Hypothesis[] {
  return [...incident.hypotheses].sort((a, b) => a.rank - b.rank);
}

/**
 * Whether the triage of an incident abstained: an explicit insufficient-evidence outcome, no
 * hypotheses, or only hypotheses below the medium cut-off (probability < 0.4, or confidence
 * low where there is no probability).
 */
export function abstained(incident: ShownTriage): boolean {
  if (incident.insufficientEvidence || incident.hypotheses.length === 0)
    return true;
  return incident.hypotheses.every(h =>
    h.probability !== undefined
      ? h.probability < CONFIDENCE_CUTOFFS.medium
      : h.confidence === 'low',
  );
}

export type IncidentScore = {
  incidentId: string;
  service: string;
  topOrigin: string | null;
  topKind: string | null;
  top1: boolean;
  top3: boolean;
  kindMatch: boolean;
  abstained: boolean;
  /**
   * Raised before the fault (every alert resolved before it was injected; see `beforeFault`):
   * scored like a no-fault incident, never against the truth's origin and kind (top-1, top-3
   * and kind are false). Absent in old reports, where it counts as raised by the fault.
   */
  beforeFault?: boolean;
  /**
   * Of a service the fault cannot reach (neither its origin nor a caller of it; see
   * `scoreReplay`), and not before the fault: scored like a no-fault incident, in its own row.
   * Absent in old reports, where it counts as raised by the fault.
   */
  unreached?: boolean;
  /**
   * When its earliest alert started, relative to the fault's injection (ms; negative: before
   * it; null without alerts). Absent in old reports.
   */
  alertsFromMs?: number | null;
  latencyMs: number | null;
  /** Its fault group (null: in none), the group's probable origin, and whether it leads it. */
  group?: { id: string | null; origin: string | null; lead: boolean };
  /** The same for the first answer the incident showed (before re-triages); absent in old reports. */
  first?: { topOrigin: string | null; top1: boolean; abstained: boolean };
};

export type RecordingScore = {
  scenario: string;
  fault: boolean;
  origin: string | null;
  kind: string | null;
  hops: number | null;
  firstAlertingService: string | null;
  incidents: IncidentScore[];
  /** Distinct fault groups (incidents without a group count one each). */
  groups: number;
  /**
   * The same over the incidents raised by the fault only (neither before it nor unreached;
   * absent in old reports): what "one group per fault" is measured on.
   */
  faultGroups?: number;
  /**
   * Squared errors of every hypothesis probability against whether it named the origin (for an
   * incident before the fault, unreached by it, or of a no-fault recording, there is none to
   * name: 0).
   */
  brierTerms: number[];
  /** Triage jobs the replay caused (absent in old reports). */
  jobs?: LabReplay['jobs'];
};

export function scoreReplay(replay: LabReplay): RecordingScore {
  const { truth: recorded } = replay.recording;
  const reach = recorded.origin ? labReachOf(recorded.origin) : null;
  const isBefore = (incident: ReplayedIncident) =>
    recorded.fault && beforeFault(incident, replay.faultAtMs);
  const isUnreached = (incident: ReplayedIncident) =>
    reach !== null &&
    !isBefore(incident) &&
    !reach.has(incident.incident.serviceName);
  const notTheFaults = (incident: ReplayedIncident) =>
    isBefore(incident) || isUnreached(incident);
  // What an incident is scored against: the fault's truth, or none when the fault cannot have
  // raised it.
  const truthOf = (incident: ReplayedIncident) =>
    notTheFaults(incident) ? { origin: null, kind: null } : recorded;
  const incidents = replay.incidents.map((incident): IncidentScore => {
    const truth = truthOf(incident);
    const hypotheses = ranked(incident);
    const origins = hypotheses.map(originOf);
    const top = hypotheses[0];
    const firstOrigin = incident.first
      ? ranked(incident.first).map(originOf)[0] ?? null
      : null;
    return {
      incidentId: incident.incident.id,
      service: incident.incident.serviceName,
      topOrigin: origins[0] ?? null,
      topKind: top?.kind ?? null,
      top1: truth.origin !== null && origins[0] === truth.origin,
      top3: truth.origin !== null && origins.slice(0, 3).includes(truth.origin),
      kindMatch: truth.kind !== null && top?.kind === truth.kind,
      abstained: abstained(incident),
      beforeFault: isBefore(incident),
      unreached: isUnreached(incident),
      alertsFromMs: incident.alerts.length
        ? Math.min(...incident.alerts.map(a => Date.parse(a.startsAt))) -
          replay.faultAtMs
        : null,
      latencyMs:
        incident.hypothesesAtMs === null
          ? null
          : Math.max(0, incident.hypothesesAtMs - incident.alertPostedAtMs),
      group: {
        id: incident.incident.faultGroupId ?? null,
        origin: incident.incident.probableOrigin ?? null,
        lead: incident.incident.faultGroupLead ?? false,
      },
      first: {
        topOrigin: firstOrigin,
        top1: truth.origin !== null && firstOrigin === truth.origin,
        abstained: incident.first ? abstained(incident.first) : true,
      },
    };
  });
  const brierTerms = replay.incidents.flatMap(incident =>
    incident.hypotheses
      .filter(h => typeof h.probability === 'number')
      .map(h => {
        const { origin } = truthOf(incident);
        const hit = origin !== null && originOf(h) === origin ? 1 : 0;
        return (h.probability! - hit) ** 2;
      }),
  );
  const groupsOf = (of: ReplayedIncident[]) =>
    new Set(of.map(i => i.incident.faultGroupId ?? `incident:${i.incident.id}`))
      .size;
  return {
    scenario: replay.recording.scenario,
    fault: recorded.fault,
    origin: recorded.origin,
    kind: recorded.kind,
    hops: recorded.hops,
    firstAlertingService: recorded.firstAlertingService,
    incidents,
    groups: groupsOf(replay.incidents),
    faultGroups: groupsOf(replay.incidents.filter(i => !notTheFaults(i))),
    brierTerms,
    jobs: replay.jobs,
  };
}

/**
 * Totals over a set of recording scores. Every incident counts in exactly one of four rows:
 * `incidents` = `faultIncidents` (raised by the fault: top-1, top-3, kind) + `beforeFaultIncidents`
 * (of fault recordings, every alert resolved before the fault: abstention expected) +
 * `unreachedIncidents` (of fault recordings, of a service the fault cannot reach: abstention
 * expected) + `noFaultIncidents` (of no-fault recordings: abstention expected).
 */
export type ScoreSummary = {
  recordings: number;
  incidents: number;
  /** Incidents of fault recordings raised by the fault: what top-1, top-3 and kind count over. */
  faultIncidents: number;
  top1: number;
  /** Top-1 of the first answers (null when a reused report has none). */
  firstTop1: number | null;
  top3: number;
  kindMatch: number;
  /** Incidents of fault recordings whose alerts all ended before the fault, and how many abstained. */
  beforeFaultIncidents: number;
  /**
   * Of `faultIncidents`, those whose earliest alert started before the fault (one of their
   * alerts was firing when it began, or fired again after it; 0 in old reports).
   */
  alertedBeforeFault: number;
  beforeFaultAbstentions: number;
  firstBeforeFaultAbstentions: number | null;
  /** Incidents of fault recordings on services the fault cannot reach, and how many abstained. */
  unreachedIncidents: number;
  unreachedAbstentions: number;
  firstUnreachedAbstentions: number | null;
  noFaultIncidents: number;
  abstentions: number;
  firstAbstentions: number | null;
  /** Fault groups of the incidents raised by the fault, and of every incident of the fault recordings. */
  groups: number;
  allGroups: number;
  /** Automatic re-triages run, and `reason` jobs (one reasoner call each). */
  autoRetriages: number;
  reasonJobs: number;
  faults: number;
  brier: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
};

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

export function summarize(scores: RecordingScore[]): ScoreSummary {
  const fault = scores.filter(s => s.fault);
  const noFault = scores.filter(s => !s.fault);
  const ofFaults = fault.flatMap(s => s.incidents);
  const faultIncidents = ofFaults.filter(i => !i.beforeFault && !i.unreached);
  const beforeFaultIncidents = ofFaults.filter(i => i.beforeFault);
  const unreachedIncidents = ofFaults.filter(i => i.unreached);
  const noFaultIncidents = noFault.flatMap(s => s.incidents);
  const all = scores.flatMap(s => s.incidents);
  const withFirst = all.every(i => i.first);
  const brierTerms = scores.flatMap(s => s.brierTerms);
  const latencies = all
    .map(i => i.latencyMs)
    .filter((v): v is number => v !== null);
  return {
    recordings: scores.length,
    incidents: all.length,
    faultIncidents: faultIncidents.length,
    top1: faultIncidents.filter(i => i.top1).length,
    firstTop1: withFirst
      ? faultIncidents.filter(i => i.first!.top1).length
      : null,
    top3: faultIncidents.filter(i => i.top3).length,
    kindMatch: faultIncidents.filter(i => i.kindMatch).length,
    beforeFaultIncidents: beforeFaultIncidents.length,
    alertedBeforeFault: faultIncidents.filter(i => (i.alertsFromMs ?? 0) < 0)
      .length,
    beforeFaultAbstentions: beforeFaultIncidents.filter(i => i.abstained)
      .length,
    firstBeforeFaultAbstentions: withFirst
      ? beforeFaultIncidents.filter(i => i.first!.abstained).length
      : null,
    unreachedIncidents: unreachedIncidents.length,
    unreachedAbstentions: unreachedIncidents.filter(i => i.abstained).length,
    firstUnreachedAbstentions: withFirst
      ? unreachedIncidents.filter(i => i.first!.abstained).length
      : null,
    noFaultIncidents: noFaultIncidents.length,
    abstentions: noFaultIncidents.filter(i => i.abstained).length,
    firstAbstentions: withFirst
      ? noFaultIncidents.filter(i => i.first!.abstained).length
      : null,
    autoRetriages: scores.reduce((n, s) => n + (s.jobs?.autoRetriages ?? 0), 0),
    reasonJobs: scores.reduce((n, s) => n + (s.jobs?.reason ?? 0), 0),
    groups: fault.reduce((n, s) => n + (s.faultGroups ?? s.groups), 0),
    allGroups: fault.reduce((n, s) => n + s.groups, 0),
    faults: fault.length,
    brier: brierTerms.length
      ? brierTerms.reduce((a, b) => a + b, 0) / brierTerms.length
      : null,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
  };
}
