/** A signal of the embedded telemetry store. */
export type EvidenceSignal = 'spans' | 'metrics' | 'logs';

/**
 * Telemetry of a service the latest context of an incident lacked: a record at or after
 * `sinceMs` (the incident window's start unless given; later for a window not yet settled).
 */
export type EvidenceGap = {
  serviceName: string;
  signal: EvidenceSignal;
  sinceMs?: number;
};

/** Telemetry that arrived: a service's records of one signal, the latest of them at `latestMs`. */
export type TelemetryArrival = {
  serviceName: string;
  signal: EvidenceSignal;
  latestMs: number;
};

/** Why an incident is triaged again without anyone asking. */
export type AutoRetriageTrigger = 'evidence' | 'group';

/** The payload of an automatic re-triage's `enrich` job. */
export type AutoRetriagePayload = { trigger: AutoRetriageTrigger };

/** What an automatic re-triage request did. */
export type AutoRetriageOutcome =
  | 'queued'
  /** A job of the incident is queued or running: it will read the new evidence anyway. */
  | 'in-progress'
  /** The incident has used its automatic re-triages. */
  | 'limit'
  /** A reviewer has judged its hypotheses: only a person re-triages it. */
  | 'reviewed'
  | 'resolved'
  | 'not-found';

/**
 * Automatic re-triage (docs/reasoning.md, "Re-triage when the evidence arrives"): which
 * evidence an incident's latest context lacked, and delayed `enrich` jobs when it arrives or the
 * incident's fault group changes, bounded per incident.
 */
export interface RetriageStore {
  /**
   * Replaces what the incident waits for: its latest context lacked these, counting records at
   * or after `sinceMs` (the incident window's start) or the gap's own. An empty list ends the
   * watch.
   */
  watchEvidence(
    incidentId: string,
    sinceMs: number,
    gaps: EvidenceGap[],
  ): Promise<void>;
  /**
   * Telemetry arrived: every open incident that watches one of these (service, signal) pairs,
   * with a record inside its window, is re-triaged ({@link RetriageStore.requestAutoRetriage})
   * and stops watching. Returns the incidents queued.
   */
  telemetryArrived(arrivals: TelemetryArrival[]): Promise<string[]>;
  /**
   * In one transaction: queues an `enrich` job that runs after the debounce delay and counts
   * it against the incident's limit, unless the incident is resolved, reviewed, has a job
   * queued or running, or has used its automatic re-triages.
   */
  requestAutoRetriage(
    incidentId: string,
    trigger: AutoRetriageTrigger,
  ): Promise<AutoRetriageOutcome>;
  /** Whether a reviewer has judged any hypothesis of the incident. */
  isReviewed(incidentId: string): Promise<boolean>;
}
