import { Knex } from 'knex';
import {
  CallEdge,
  FaultGroupStore,
  FaultGroupTransaction,
  GroupingIncident,
  StoredFaultGroup,
} from './FaultGroupStore';
import { isPostgres } from '../sql/isPostgres';
import { clearFaultGroup, updateFaultGroupOf } from './DatabaseIncidentStore';
import { DbTimestamp, toIso } from '../sql/timestamps';

type GroupRow = {
  id: string;
  origin: string;
  origin_entity_ref: string | null;
  lead_incident_id: string;
  method: StoredFaultGroup['method'];
  services: string;
  path: string;
  cleared_callees: string;
  first_seen_at: DbTimestamp;
  last_seen_at: DbTimestamp;
};

type MemberRow = {
  id: string;
  service_name: string;
  entity_ref: string | null;
  status: GroupingIncident['status'];
  triage_state: GroupingIncident['triageState'];
  first_seen_at: DbTimestamp;
  last_seen_at: DbTimestamp;
  fault_group_id: string | null;
  alerts_started_at: DbTimestamp | null;
  alerts_ended_at: DbTimestamp | null;
  alerts_firing: number | string;
};

/**
 * The key of the transaction-level advisory lock every grouping decision takes on PostgreSQL
 * (an arbitrary constant: "ait" "fg" in ASCII), so decisions serialize across replicas.
 */
const GROUPING_LOCK_KEY = 0x616974_6667;

/** Services per `IN (...)` list, well below both databases' bind-variable limits. */
const MAX_SERVICES = 500;

const MEMBER_COLUMNS = [
  'id',
  'service_name',
  'entity_ref',
  'status',
  'triage_state',
  'first_seen_at',
  'last_seen_at',
  'fault_group_id',
];

/** The incidents' member columns, with when their alerts started and ended. */
function selectMembers(db: Knex, query: Knex.QueryBuilder) {
  const alerts = () =>
    db('alerts').whereRaw('?? = ??', ['alerts.incident_id', 'incidents.id']);
  return query.select([
    ...MEMBER_COLUMNS.map(column => `incidents.${column}`),
    alerts().min('starts_at').as('alerts_started_at'),
    alerts().max('ends_at').as('alerts_ended_at'),
    alerts().whereNull('ends_at').count('*').as('alerts_firing'),
  ]);
}

class KnexFaultGroupTransaction implements FaultGroupTransaction {
  constructor(private readonly tx: Knex.Transaction) {}

  async incident(id: string): Promise<GroupingIncident | undefined> {
    const [row]: MemberRow[] = await selectMembers(
      this.tx,
      this.tx('incidents').where('incidents.id', id),
    );
    return row ? toGroupingIncident(row) : undefined;
  }

  async group(id: string): Promise<StoredFaultGroup | undefined> {
    return readGroup(this.tx, id);
  }

  async recentGroups(sinceMs: number): Promise<StoredFaultGroup[]> {
    return this.groupsSeenSince(sinceMs, { openOnly: true });
  }

  async groupsSeenSince(
    sinceMs: number,
    options: { openOnly?: boolean } = {},
  ): Promise<StoredFaultGroup[]> {
    const query = this.tx('incidents')
      .whereNotNull('fault_group_id')
      .andWhere('last_seen_at', '>=', new Date(sinceMs))
      .groupBy('fault_group_id');
    if (options.openOnly) {
      // Open or acknowledged: an acknowledged incident's fault is still going on.
      query.havingRaw(
        "sum(case when status <> 'resolved' then 1 else 0 end) > 0",
      );
    }
    const ids: string[] = await query
      .orderByRaw('max(last_seen_at) desc')
      .pluck('fault_group_id');
    const groups = await Promise.all(ids.map(id => readGroup(this.tx, id)));
    return groups.filter((g): g is StoredFaultGroup => g !== undefined);
  }

  async ungroupedIncidents(sinceMs: number): Promise<GroupingIncident[]> {
    const rows: MemberRow[] = await selectMembers(
      this.tx,
      this.tx('incidents')
        .whereNull('fault_group_id')
        .andWhere('last_seen_at', '>=', new Date(sinceMs))
        .orderBy([
          { column: 'incidents.first_seen_at' },
          { column: 'incidents.id' },
        ]),
    );
    return rows.map(toGroupingIncident);
  }

  async callEdges(
    services: string[],
    fromMs: number,
    toMs: number,
  ): Promise<CallEdge[]> {
    const names = [...new Set(services)].slice(0, MAX_SERVICES);
    if (names.length < 2) {
      return [];
    }
    // Client spans of these services naming one of the others as their peer; the
    // (service_name, start_time_ms, id) index narrows the read to their window.
    const rows: Array<{ service_name: string; peer_service: string }> =
      await this.tx('telemetry_spans')
        .distinct('service_name', 'peer_service')
        .whereIn('service_name', names)
        .whereIn('peer_service', names)
        .andWhere('start_time_ms', '>=', fromMs)
        .andWhere('start_time_ms', '<', toMs);
    return rows
      .filter(row => row.service_name !== row.peer_service)
      .map(row => ({ from: row.service_name, to: row.peer_service }));
  }

  async hasTriageRun(incidentId: string): Promise<boolean> {
    return Boolean(
      // Live runs only: a recorded replay run is not a triage of the incident.
      await this.tx('triage_runs')
        .where({ incident_id: incidentId, purpose: 'live' })
        .first('id'),
    );
  }

  async saveGroup(
    group: Omit<StoredFaultGroup, 'memberIncidentIds' | 'lastSeenAt'>,
  ): Promise<void> {
    const now = new Date();
    const row = {
      id: group.id,
      origin: group.origin,
      origin_entity_ref: group.originEntityRef,
      lead_incident_id: group.leadIncidentId,
      method: group.method,
      services: JSON.stringify(group.services),
      path: JSON.stringify(group.path),
      cleared_callees: JSON.stringify(group.clearedCallees),
      first_seen_at: new Date(group.firstSeenAt),
      last_seen_at: now,
      updated_at: now,
    };
    await this.tx('fault_groups')
      .insert({ ...row, created_at: now })
      .onConflict('id')
      .merge(Object.keys(row).filter(key => key !== 'id'));
  }

  async setGroupOf(incidentIds: string[], groupId: string | null) {
    await updateFaultGroupOf(this.tx, incidentIds, groupId);
  }

  async deleteGroup(id: string): Promise<void> {
    await clearFaultGroup(this.tx, id);
    await this.tx('fault_groups').where('id', id).delete();
  }
}

export class DatabaseFaultGroupStore implements FaultGroupStore {
  static create(options: { knex: Knex }): DatabaseFaultGroupStore {
    return new DatabaseFaultGroupStore(options.knex);
  }

  private constructor(private readonly knex: Knex) {}

  async decide<T>(work: (tx: FaultGroupTransaction) => Promise<T>): Promise<T> {
    return this.knex.transaction(async tx => {
      if (isPostgres(this.knex)) {
        await tx.raw('select pg_advisory_xact_lock(?)', [GROUPING_LOCK_KEY]);
      }
      return work(new KnexFaultGroupTransaction(tx));
    });
  }

  async getGroup(id: string): Promise<StoredFaultGroup | undefined> {
    return readGroup(this.knex, id);
  }

  async groupOf(incidentId: string): Promise<StoredFaultGroup | undefined> {
    const row = await this.knex('incidents')
      .where('id', incidentId)
      .first('fault_group_id');
    return row?.fault_group_id
      ? readGroup(this.knex, row.fault_group_id)
      : undefined;
  }
}

async function readGroup(
  db: Knex,
  id: string,
): Promise<StoredFaultGroup | undefined> {
  const row: GroupRow | undefined = await db('fault_groups')
    .where('id', id)
    .first();
  if (!row) {
    return undefined;
  }
  const members: MemberRow[] = await db('incidents')
    .where('fault_group_id', id)
    .orderBy([{ column: 'first_seen_at' }, { column: 'id' }])
    .select(MEMBER_COLUMNS);
  const lead = members.find(m => m.id === row.lead_incident_id);
  const lastSeen = Math.max(
    ...members.map(m => Date.parse(toIso(m.last_seen_at))),
    Date.parse(toIso(row.last_seen_at)),
  );
  return {
    id: row.id,
    origin: row.origin,
    originEntityRef: row.origin_entity_ref,
    leadIncidentId: row.lead_incident_id,
    // Lead first, then the others in the order they were first seen.
    memberIncidentIds: [
      ...(lead ? [lead.id] : []),
      ...members.filter(m => m !== lead).map(m => m.id),
    ],
    firstSeenAt: toIso(row.first_seen_at),
    lastSeenAt: new Date(lastSeen).toISOString(),
    method: row.method,
    services: JSON.parse(row.services),
    path: JSON.parse(row.path),
    clearedCallees: JSON.parse(row.cleared_callees),
  };
}

function toGroupingIncident(row: MemberRow): GroupingIncident {
  return {
    id: row.id,
    serviceName: row.service_name,
    entityRef: row.entity_ref,
    status: row.status,
    triageState: row.triage_state,
    firstSeenAt: toIso(row.first_seen_at),
    lastSeenAt: toIso(row.last_seen_at),
    alertsStartedAt:
      row.alerts_started_at === null ? null : toIso(row.alerts_started_at),
    alertsEndedAt:
      Number(row.alerts_firing) > 0 || row.alerts_ended_at === null
        ? null
        : toIso(row.alerts_ended_at),
    faultGroupId: row.fault_group_id,
  };
}
