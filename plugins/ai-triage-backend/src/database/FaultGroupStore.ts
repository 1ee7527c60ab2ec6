import { FaultGroup, TriageState } from '@ai-triage/plugin-ai-triage-common';

/** How a group's origin was placed. */
type FaultGroupMethod = 'localization' | 'trace-edges';

/** A fault group as stored, with what the grouping rules decide on. */
export type StoredFaultGroup = FaultGroup & {
  method: FaultGroupMethod;
  /** The services of the fault's graph: path, suspects, edge ends and members' services. */
  services: string[];
  /** From the lead localization's alerted service to the origin. */
  path: string[];
  /**
   * Callees of the origin whose calls the view that placed it compared with a known baseline
   * and found unchanged, and whose own behaviour did not change: no fault behind them reached
   * the origin through those calls. Empty for a group placed by calls.
   */
  clearedCallees: string[];
};

/** An incident as the grouping rules see it. */
export type GroupingIncident = {
  id: string;
  serviceName: string;
  entityRef: string | null;
  status: 'open' | 'resolved';
  triageState: TriageState;
  firstSeenAt: string;
  lastSeenAt: string;
  /** When its first alert started; null without alerts. */
  alertsStartedAt: string | null;
  /** When its last alert ended; null while one fires (or it has none). */
  alertsEndedAt: string | null;
  faultGroupId: string | null;
};

/** A call from one service to another seen in client spans. */
export type CallEdge = { from: string; to: string };

/** What a grouping decision reads and writes, inside one serialized transaction. */
export interface FaultGroupTransaction {
  incident(id: string): Promise<GroupingIncident | undefined>;
  group(id: string): Promise<StoredFaultGroup | undefined>;
  /**
   * Open groups (at least one member open or acknowledged) with a member seen at or after `sinceMs`, the most
   * recently seen first.
   */
  recentGroups(sinceMs: number): Promise<StoredFaultGroup[]>;
  /**
   * Groups with a member seen at or after `sinceMs`, open or not (as ungrouped incidents are
   * considered open or not), the most recently seen first.
   */
  groupsSeenSince(sinceMs: number): Promise<StoredFaultGroup[]>;
  /** Incidents seen at or after `sinceMs`, in no group, open or not, the earliest first. */
  ungroupedIncidents(sinceMs: number): Promise<GroupingIncident[]>;
  /** Client-span calls between the given services in [fromMs, toMs), from the embedded store. */
  callEdges(
    services: string[],
    fromMs: number,
    toMs: number,
  ): Promise<CallEdge[]>;
  /** Whether the incident has a finished triage run of its own. */
  hasTriageRun(incidentId: string): Promise<boolean>;
  saveGroup(
    group: Omit<StoredFaultGroup, 'memberIncidentIds' | 'lastSeenAt'>,
  ): Promise<void>;
  /** Puts the incidents in the group (null: in none). */
  setGroupOf(incidentIds: string[], groupId: string | null): Promise<void>;
  deleteGroup(id: string): Promise<void>;
}

/** Fault groups and their members. */
export interface FaultGroupStore {
  /**
   * Runs a grouping decision in one transaction, serialized with every other grouping decision
   * (on PostgreSQL by a transaction-level advisory lock, so across replicas; SQLite serializes
   * writers), so two incidents of one fault decided at once cannot form two groups.
   */
  decide<T>(work: (tx: FaultGroupTransaction) => Promise<T>): Promise<T>;
  getGroup(id: string): Promise<StoredFaultGroup | undefined>;
  /** The group the incident is in, if any. */
  groupOf(incidentId: string): Promise<StoredFaultGroup | undefined>;
}
