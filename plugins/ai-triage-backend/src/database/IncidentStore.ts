import {
  Alert,
  Incident,
  IncidentStatus,
  Severity,
  StoredAlert,
  TriageState,
} from '@ai-triage/plugin-ai-triage-common';

/** One alert of a delivery, with what ingestion derived for it. */
export type IngestAlert = {
  alert: Alert;
  correlationKey: string;
  entityRef: string | null;
};

export type IngestDelivery = {
  source: string;
  /** Identifies the delivery; the same key twice is a no-op. */
  deliveryKey: string;
  alerts: IngestAlert[];
  /** Alerts the sender left out of the delivery (Alertmanager's `truncatedAlerts`). */
  truncatedAlerts?: number;
};

export type IngestResult = {
  deliveryId: string;
  duplicate: boolean;
  incidentIds: string[];
  /** Incidents that were opened or reopened, and so got an `enrich` job. */
  triagedIncidentIds: string[];
};

export type IncidentFilter = {
  entityRef?: string;
  /** Also matches incidents of these services that were stored before their entity was known. */
  serviceNames?: string[];
  /** Only incidents linked to one of these entities (an owner's or a system's components). */
  entityRefs?: string[];
  /** Only incidents linked to no catalog entity. */
  unlinked?: boolean;
  severities?: Severity[];
  statuses?: IncidentStatus[];
  /** Only the members of this fault group. */
  faultGroupId?: string;
  /**
   * One row per fault group among the matching incidents (its lead if the lead matches, else
   * its earliest matching member); incidents in no group are rows of their own. The count is
   * then of rows too.
   */
  groupByFault?: boolean;
  limit: number;
  /** Incidents to skip, in list order (open first, then the most recently seen). */
  offset?: number;
};

/** What a re-triage request did. */
export type RetriageResult =
  | { outcome: 'queued'; incident: Incident }
  | { outcome: 'in-progress'; incident: Incident }
  | { outcome: 'not-found' };

/** Incidents and their alerts. */
export interface IncidentStore {
  /**
   * Stores a delivery in one transaction: the delivery, its alerts, the incidents they correlate
   * into and an `enrich` job for every incident opened or reopened.
   */
  ingest(delivery: IngestDelivery): Promise<IngestResult>;
  /** A page of incidents matching the filter: open first, then the most recently seen. */
  listIncidents(filter: IncidentFilter): Promise<Incident[]>;
  /** How many incidents match the filter, whatever its limit and offset. */
  countIncidents(
    filter: Omit<IncidentFilter, 'limit' | 'offset'>,
  ): Promise<number>;
  /**
   * Enqueues a new `enrich` job for the incident and marks it pending, in one transaction,
   * unless one of its jobs is still queued or running (`alsoWhenActive`: then too, for a
   * triage whose running job has already decided on something that no longer holds).
   */
  requestRetriage(
    incidentId: string,
    options?: { alsoWhenActive?: boolean },
  ): Promise<RetriageResult>;
  getIncident(id: string): Promise<Incident | undefined>;
  listAlerts(incidentId: string): Promise<StoredAlert[]>;
  /** The latest stored alert of the source with this fingerprint (the sender's id), if any. */
  findAlert(source: string, fingerprint: string): Promise<Alert | undefined>;
  setTriageState(incidentId: string, state: TriageState): Promise<void>;
  /**
   * Service names of incidents linked to no catalog entity, in name order, at most `limit` of
   * them; with `after`, only the names that sort after it (to page through them).
   */
  listUnlinkedServiceNames(limit: number, after?: string): Promise<string[]>;
  /** Links the unlinked incidents of a service to its entity; returns how many were linked. */
  linkService(serviceName: string, entityRef: string): Promise<number>;
}
