import {
  Alert,
  Incident,
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
  limit: number;
};

/** Incidents and their alerts. */
export interface IncidentStore {
  /**
   * Stores a delivery in one transaction: the delivery, its alerts, the incidents they correlate
   * into and an `enrich` job for every incident opened or reopened.
   */
  ingest(delivery: IngestDelivery): Promise<IngestResult>;
  listIncidents(filter: IncidentFilter): Promise<Incident[]>;
  getIncident(id: string): Promise<Incident | undefined>;
  listAlerts(incidentId: string): Promise<StoredAlert[]>;
  setTriageState(incidentId: string, state: TriageState): Promise<void>;
}
