import {
  Alert,
  CurrentRootCause,
  Incident,
  IncidentStatus,
  StoredAlert,
  TicketRef,
  TriageState,
} from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import {
  IncidentFilter,
  IncidentStore,
  IngestDelivery,
  IngestResult,
  RetriageResult,
} from './IncidentStore';
import { insertJob } from '../queue/DatabaseJobQueue';
import { isPostgres } from '../sql/isPostgres';
import { toIso } from '../sql/timestamps';
import {
  IncidentRow,
  AlertRow,
  applyIncidentFilter,
  toIncident,
  toAlert,
} from './incidentRows';
import { IncidentIngestion } from './IncidentIngestion';

/** Ids per `IN (...)` list, well below both databases' bind-variable limits. */
const MAX_IDS_PER_UPDATE = 500;

/**
 * Sets an incident's triage state, in `db` (a transaction of another store that moves the
 * triage on, such as the triage store saving a context or a run): the one write of the
 * incident's triage state, so the `incidents` table is written by this store's code only.
 */
export async function updateTriageState(
  db: Knex,
  incidentId: string,
  state: TriageState,
  at: Date,
): Promise<void> {
  await db('incidents')
    .where('id', incidentId)
    .update({ triage_state: state, updated_at: at });
}

/**
 * Moves an incident from `expected` to `status` and records who did it, in `db` (the workflow
 * store's transaction that also writes the status history and the outbound deliveries).
 * Resolving frees the correlation key (`active_key`); any other status takes it back, which
 * throws a database conflict error when a newer incident of the key is active. False when the
 * incident is missing or no longer in `expected`.
 */
export async function updateIncidentStatus(
  db: Knex,
  change: {
    incidentId: string;
    correlationKey: string;
    expected: IncidentStatus;
    status: IncidentStatus;
    actor: string;
    at: Date;
  },
): Promise<boolean> {
  const active = change.status !== 'resolved';
  const updated = await db('incidents')
    .where({ id: change.incidentId, status: change.expected })
    .update({
      status: change.status,
      active_key: active ? change.correlationKey : null,
      resolved_at: active ? null : change.at,
      status_changed_by: change.actor,
      status_changed_at: change.at,
      updated_at: change.at,
    });
  return updated === 1;
}

/** Sets (or with null clears) an incident's ticket reference; false when it does not exist. */
export async function updateIncidentTicket(
  db: Knex,
  incidentId: string,
  ticket: TicketRef | null,
  at: Date,
): Promise<boolean> {
  const updated = await db('incidents')
    .where('id', incidentId)
    .update({
      ticket_ref: ticket ? JSON.stringify(ticket) : null,
      updated_at: at,
    });
  return updated === 1;
}

/**
 * Sets an incident's current root cause, or with null clears it, in `db` (the workflow store's
 * transaction that stores the review deciding it).
 */
export async function updateCurrentRootCause(
  db: Knex,
  incidentId: string,
  rootCause: CurrentRootCause | null,
): Promise<void> {
  await db('incidents')
    .where('id', incidentId)
    .update({
      current_root_cause: rootCause ? JSON.stringify(rootCause) : null,
    });
}

/**
 * Puts incidents in fault group `groupId` (or with null takes them out of any), in `db` (the
 * grouping decision's transaction).
 */
export async function updateFaultGroupOf(
  db: Knex,
  incidentIds: string[],
  groupId: string | null,
): Promise<void> {
  for (let i = 0; i < incidentIds.length; i += MAX_IDS_PER_UPDATE) {
    await db('incidents')
      .whereIn('id', incidentIds.slice(i, i + MAX_IDS_PER_UPDATE))
      .update({ fault_group_id: groupId });
  }
}

/** Takes every member out of fault group `groupId`, in `db` (before the group is deleted). */
export async function clearFaultGroup(
  db: Knex,
  groupId: string,
): Promise<void> {
  await db('incidents')
    .where('fault_group_id', groupId)
    .update({ fault_group_id: null });
}

/** Sets the count of automatic re-triages queued for an incident, in the retriage store's `db`. */
export async function updateAutoRetriageCount(
  db: Knex,
  incidentId: string,
  count: number,
): Promise<void> {
  await db('incidents')
    .where('id', incidentId)
    .update({ auto_retriages: count });
}

/** The lead of the incident's fault group, as a correlated subquery on `incidents`. */
const LEAD_OF_GROUP =
  'select lead_incident_id from fault_groups where fault_groups.id = incidents.fault_group_id';

export class DatabaseIncidentStore implements IncidentStore {
  static create(options: {
    knex: Knex;
    reopenWindowMs: number;
    maxAttempts: number;
    /**
     * How long the `enrich` job of an incident opened by a delivery waits before it may run
     * (`aiTriage.grouping.waitSeconds`), so the other alerts of a storm arrive and are grouped
     * before the first one is triaged. Default 0.
     */
    groupWaitMs?: number;
  }): DatabaseIncidentStore {
    return new DatabaseIncidentStore(
      options.knex,
      options.reopenWindowMs,
      options.maxAttempts,
      options.groupWaitMs ?? 0,
    );
  }

  private readonly ingestion: IncidentIngestion;

  private constructor(
    private readonly knex: Knex,
    reopenWindowMs: number,
    private readonly maxAttempts: number,
    groupWaitMs: number,
  ) {
    this.ingestion = new IncidentIngestion(
      knex,
      reopenWindowMs,
      maxAttempts,
      groupWaitMs,
    );
  }

  /** Stores an alert delivery (see {@link IncidentIngestion}). */
  ingest(delivery: IngestDelivery): Promise<IngestResult> {
    return this.ingestion.ingest(delivery);
  }

  async listIncidents(filter: IncidentFilter): Promise<Incident[]> {
    let query: Knex.QueryBuilder = this.incidentsWithCounts();
    applyIncidentFilter(query, filter);
    if (filter.groupByFault) {
      // One row per fault group among the matching incidents: its lead if the lead matches,
      // else its earliest matching member; incidents in no group are rows of their own.
      query = this.knex
        .select('*')
        .from(
          query
            .select(
              this.knex.raw(
                `row_number() over (partition by coalesce(incidents.fault_group_id, incidents.id) order by case when incidents.id = (${LEAD_OF_GROUP}) then 0 else 1 end, incidents.first_seen_at, incidents.id) as group_rank`,
              ),
            )
            .as('incidents'),
        )
        .where('group_rank', 1);
    }
    query
      // Open incidents first: they are what an engineer on call looks for.
      .orderByRaw("case when status = 'resolved' then 1 else 0 end")
      .orderBy([
        { column: 'last_seen_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(filter.limit)
      .offset(filter.offset ?? 0);
    return ((await query) as IncidentRow[]).map(toIncident);
  }

  async countIncidents(
    filter: Omit<IncidentFilter, 'limit' | 'offset'>,
  ): Promise<number> {
    const query = this.knex('incidents').count({
      count: filter.groupByFault
        ? this.knex.raw('distinct coalesce(fault_group_id, id)')
        : '*',
    });
    applyIncidentFilter(query, filter);
    const [row] = await query;
    return Number(row?.count ?? 0);
  }

  async requestRetriage(
    incidentId: string,
    options: { alsoWhenActive?: boolean } = {},
  ): Promise<RetriageResult> {
    return this.knex.transaction(async tx => {
      let incidentQuery = tx<IncidentRow>('incidents')
        .where('id', incidentId)
        .first();
      if (isPostgres(this.knex)) {
        // Two concurrent requests serialize here, so only one enqueues.
        incidentQuery = incidentQuery.forUpdate();
      }
      if (!(await incidentQuery)) {
        return { outcome: 'not-found' as const };
      }
      const active: { status: string } | undefined = await tx('jobs')
        .where('incident_id', incidentId)
        .whereIn('status', ['queued', 'running'])
        .orderByRaw("case when status = 'queued' then 0 else 1 end")
        .first('status');
      // With `alsoWhenActive`, a running job gets a successor; a queued one does the work.
      const enqueue =
        !active || (options.alsoWhenActive && active.status === 'running');
      if (enqueue) {
        await insertJob(tx, {
          type: 'enrich',
          incidentId,
          maxAttempts: this.maxAttempts,
        });
        await tx('incidents')
          .where('id', incidentId)
          .update({ triage_state: 'pending', updated_at: new Date() });
      }
      const row = await this.incidentsWithCounts(tx)
        .where('id', incidentId)
        .first();
      return {
        outcome: enqueue ? ('queued' as const) : ('in-progress' as const),
        incident: toIncident(row!),
      };
    });
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const row = await this.incidentsWithCounts().where('id', id).first();
    return row ? toIncident(row) : undefined;
  }

  async listAlerts(incidentId: string): Promise<StoredAlert[]> {
    const rows: AlertRow[] = await this.knex('alerts')
      .where('incident_id', incidentId)
      .orderBy([{ column: 'starts_at' }, { column: 'fingerprint' }]);
    return rows.map(row => ({
      id: row.id,
      ...toAlert(row),
      receivedAt: toIso(row.received_at),
    }));
  }

  async findAlert(
    source: string,
    fingerprint: string,
  ): Promise<Alert | undefined> {
    // Indexed on (source, fingerprint) by the intake migration.
    const row: AlertRow | undefined = await this.knex('alerts')
      .where({ source, fingerprint })
      .orderBy('received_at', 'desc')
      .first();
    return row ? toAlert(row) : undefined;
  }

  async listUnlinkedServiceNames(
    limit: number,
    after?: string,
  ): Promise<string[]> {
    const query = this.knex('incidents').whereNull('entity_ref');
    if (after !== undefined) {
      query.where('service_name', '>', after);
    }
    return query
      .distinct('service_name')
      .orderBy('service_name')
      .limit(limit)
      .pluck('service_name');
  }

  async linkService(serviceName: string, entityRef: string): Promise<number> {
    return this.knex('incidents')
      .whereNull('entity_ref')
      .where('service_name', serviceName)
      .update({ entity_ref: entityRef });
  }

  async setTriageState(
    incidentId: string,
    state: TriageState,
    tx: Knex = this.knex,
    at: Date = new Date(),
  ): Promise<void> {
    await updateTriageState(tx, incidentId, state, at);
  }

  /**
   * Incidents with their alert count and what their fault group says of them: the probable
   * origin, the lead, the lead's triage state (a member shows its lead's triage) and the size.
   * Correlated subqueries rather than joins, so filters and orders name columns unqualified.
   */
  private incidentsWithCounts(db: Knex = this.knex) {
    return db<IncidentRow>('incidents').select(
      'incidents.*',
      db('alerts')
        .count('*')
        .where('alerts.incident_id', db.ref('incidents.id'))
        .as('alert_count'),
      db.raw(
        '(select origin from fault_groups where fault_groups.id = incidents.fault_group_id) as probable_origin',
      ),
      db.raw(`(${LEAD_OF_GROUP}) as group_lead_id`),
      db.raw(
        '(select lead.triage_state from fault_groups join incidents lead on lead.id = fault_groups.lead_incident_id where fault_groups.id = incidents.fault_group_id) as group_triage_state',
      ),
      db.raw(
        '(select count(*) from incidents member where member.fault_group_id = incidents.fault_group_id) as group_size',
      ),
    );
  }
}
