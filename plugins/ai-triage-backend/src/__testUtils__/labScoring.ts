import {
  CONFIDENCE_CUTOFFS,
  Hypothesis,
} from '@ai-triage/plugin-ai-triage-common';
import { LabReplay, ShownTriage } from './labRecordings';

/*
 * Scores a replayed lab recording against its truth record, over every incident the fault
 * raised (not only the one expected to carry the cause).
 */

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
  /** Squared errors of every hypothesis probability against whether it named the origin. */
  brierTerms: number[];
  /** Triage jobs the replay caused (absent in old reports). */
  jobs?: LabReplay['jobs'];
};

export function scoreReplay(replay: LabReplay): RecordingScore {
  const { truth } = replay.recording;
  const incidents = replay.incidents.map((incident): IncidentScore => {
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
        const hit =
          truth.origin !== null && originOf(h) === truth.origin ? 1 : 0;
        return (h.probability! - hit) ** 2;
      }),
  );
  const groups = new Set(
    replay.incidents.map(
      i => i.incident.faultGroupId ?? `incident:${i.incident.id}`,
    ),
  ).size;
  return {
    scenario: replay.recording.scenario,
    fault: truth.fault,
    origin: truth.origin,
    kind: truth.kind,
    hops: truth.hops,
    firstAlertingService: truth.firstAlertingService,
    incidents,
    groups,
    brierTerms,
    jobs: replay.jobs,
  };
}

/** Totals over a set of recording scores. */
export type ScoreSummary = {
  recordings: number;
  incidents: number;
  faultIncidents: number;
  top1: number;
  /** Top-1 of the first answers (null when a reused report has none). */
  firstTop1: number | null;
  top3: number;
  kindMatch: number;
  noFaultIncidents: number;
  abstentions: number;
  firstAbstentions: number | null;
  groups: number;
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
  const faultIncidents = fault.flatMap(s => s.incidents);
  const noFaultIncidents = noFault.flatMap(s => s.incidents);
  const brierTerms = scores.flatMap(s => s.brierTerms);
  const latencies = scores
    .flatMap(s => s.incidents.map(i => i.latencyMs))
    .filter((v): v is number => v !== null);
  return {
    recordings: scores.length,
    incidents: faultIncidents.length + noFaultIncidents.length,
    faultIncidents: faultIncidents.length,
    top1: faultIncidents.filter(i => i.top1).length,
    firstTop1: [...faultIncidents, ...noFaultIncidents].every(i => i.first)
      ? faultIncidents.filter(i => i.first!.top1).length
      : null,
    top3: faultIncidents.filter(i => i.top3).length,
    kindMatch: faultIncidents.filter(i => i.kindMatch).length,
    noFaultIncidents: noFaultIncidents.length,
    abstentions: noFaultIncidents.filter(i => i.abstained).length,
    firstAbstentions: [...faultIncidents, ...noFaultIncidents].every(
      i => i.first,
    )
      ? noFaultIncidents.filter(i => i.first!.abstained).length
      : null,
    autoRetriages: scores.reduce((n, s) => n + (s.jobs?.autoRetriages ?? 0), 0),
    reasonJobs: scores.reduce((n, s) => n + (s.jobs?.reason ?? 0), 0),
    groups: fault.reduce((n, s) => n + s.groups, 0),
    faults: fault.length,
    brier: brierTerms.length
      ? brierTerms.reduce((a, b) => a + b, 0) / brierTerms.length
      : null,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
  };
}
