import {
  Alert,
  Incident,
  IncidentStatus,
  SEVERITIES,
  Severity,
  TriageState,
} from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import { IncidentFilter, IngestAlert } from './IncidentStore';
import { DbTimestamp, toIso, toIsoOrNull } from '../sql/timestamps';

// The rows of `incidents` and `alerts` as DatabaseIncidentStore and IncidentIngestion read
// them, and their mapping to the API's types.

export type IncidentRow = {
  id: string;
  correlation_key: string;
  active_key: string | null;
  title: string;
  entity_ref: string | null;
  service_name: string;
  namespace: string | null;
  cluster: string | null;
  severity: Severity;
  status: IncidentStatus;
  triage_state: TriageState;
  first_seen_at: DbTimestamp;
  last_seen_at: DbTimestamp;
  resolved_at: DbTimestamp | null;
  updated_at: DbTimestamp;
  fault_group_id?: string | null;
  alert_count?: number | string;
  /** Read with the incident from its fault group (see incidentsWithCounts). */
  probable_origin?: string | null;
  group_lead_id?: string | null;
  group_triage_state?: TriageState | null;
  group_size?: number | string | null;
};

export type AlertRow = {
  id: string;
  incident_id: string;
  source: string;
  fingerprint: string;
  name: string;
  status: 'firing' | 'resolved';
  severity: Severity;
  starts_at: DbTimestamp;
  ends_at: DbTimestamp | null;
  labels: string;
  annotations: string;
  resource: string;
  generator_url: string | null;
  received_at: DbTimestamp;
};

/** Narrows an incident query to what the filter asks for (limit and offset aside). */
export function applyIncidentFilter(
  query: Knex.QueryBuilder,
  filter: Omit<IncidentFilter, 'limit' | 'offset'>,
): void {
  if (filter.entityRef !== undefined || filter.serviceNames?.length) {
    query.where(q => {
      if (filter.entityRef !== undefined) {
        q.orWhere('entity_ref', filter.entityRef);
      }
      if (filter.serviceNames?.length) {
        q.orWhere(w =>
          w
            .whereNull('entity_ref')
            .whereIn('service_name', filter.serviceNames!),
        );
      }
    });
  }
  if (filter.entityRefs) {
    query.whereIn('entity_ref', filter.entityRefs);
  }
  if (filter.unlinked) {
    query.whereNull('entity_ref');
  }
  if (filter.severities?.length) {
    query.whereIn('severity', filter.severities);
  }
  if (filter.statuses?.length) {
    query.whereIn('status', filter.statuses);
  }
  if (filter.faultGroupId !== undefined) {
    query.where('fault_group_id', filter.faultGroupId);
  }
}

export function timeOf(value: DbTimestamp): number {
  return Date.parse(toIso(value));
}

export function worstSeverity(severities: Severity[]): Severity {
  return severities.reduce((worst, s) =>
    SEVERITIES.indexOf(s) < SEVERITIES.indexOf(worst) ? s : worst,
  );
}

/**
 * One item per alert (source and fingerprint): a fingerprint repeated in a delivery counts once
 * and the last one wins, as one insert statement must not update the same row twice.
 */
export function latestPerAlert(items: IngestAlert[]): IngestAlert[] {
  const latest = new Map<string, IngestAlert>();
  for (const item of items) {
    const id = `${item.alert.source}\u0000${item.alert.fingerprint}`;
    latest.delete(id);
    latest.set(id, item);
  }
  return [...latest.values()];
}

export function stillActive(status: IncidentStatus): IncidentStatus {
  return status === 'acknowledged' ? 'acknowledged' : 'open';
}

export function toIncident(row: IncidentRow): Incident {
  const grouped = Boolean(row.fault_group_id && row.group_lead_id);
  const lead = grouped && row.group_lead_id === row.id;
  return {
    id: row.id,
    correlationKey: row.correlation_key,
    title: row.title,
    entityRef: row.entity_ref,
    serviceName: row.service_name,
    namespace: row.namespace,
    cluster: row.cluster,
    severity: row.severity,
    status: row.status,
    // A member shows its lead's triage, so it reads as its lead's state.
    triageState:
      grouped && !lead && row.group_triage_state
        ? row.group_triage_state
        : row.triage_state,
    firstSeenAt: toIso(row.first_seen_at),
    lastSeenAt: toIso(row.last_seen_at),
    alertCount: Number(row.alert_count ?? 0),
    faultGroupId: grouped ? row.fault_group_id! : null,
    probableOrigin: grouped ? row.probable_origin ?? null : null,
    faultGroupLead: lead,
    faultGroupSize: grouped ? Number(row.group_size ?? 0) : 0,
  };
}

export function toAlert(row: AlertRow): Alert {
  return {
    source: row.source as Alert['source'],
    fingerprint: row.fingerprint,
    name: row.name,
    status: row.status,
    severity: row.severity,
    startsAt: toIso(row.starts_at),
    endsAt: toIsoOrNull(row.ends_at),
    labels: JSON.parse(row.labels),
    annotations: JSON.parse(row.annotations),
    generatorURL: row.generator_url,
    resource: JSON.parse(row.resource),
  };
}
