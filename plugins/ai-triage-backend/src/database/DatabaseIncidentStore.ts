import { randomUUID } from 'node:crypto';
import { isDatabaseConflictError } from '@backstage/backend-plugin-api';
import {
  Alert,
  Incident,
  IncidentStatus,
  SEVERITIES,
  Severity,
  StoredAlert,
  TriageState,
} from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import {
  IncidentFilter,
  IncidentStore,
  IngestAlert,
  IngestDelivery,
  IngestResult,
  RetriageResult,
} from './IncidentStore';
import { insertJob, insertJobs } from '../queue/DatabaseJobQueue';
import { isPostgres } from '../sql/isPostgres';
import { DbTimestamp, toIso, toIsoOrNull } from '../sql/timestamps';

type IncidentRow = {
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

type AlertRow = {
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

/** Where the alerts of one correlation key of a delivery go. */
type Target = {
  key: string;
  items: IngestAlert[];
  incident: IncidentRow;
  /** Whether this delivery adds the enrich job of the incident. */
  triage: boolean;
  /** Whether this delivery inserts the incident. */
  opened: boolean;
};

/** Alerts per insert statement (well below SQLite's and PostgreSQL's bind-variable limits). */
const UPSERT_CHUNK = 500;

/** What a re-sent alert updates; its id and identity stay. */
const ALERT_UPDATE_COLUMNS = [
  'status',
  'severity',
  'starts_at',
  'ends_at',
  'labels',
  'annotations',
  'resource',
  'generator_url',
  'received_at',
];

/**
 * How often a delivery is retried after a conflict the database could not resolve inside its
 * transaction (a deadlock, a serialization failure, or an incident that resolved while the
 * delivery waited): rare, so a few attempts with jittered backoff always converge.
 */
const MAX_ATTEMPTS = 8;
const BACKOFF_BASE_MS = 5;

/** How often one transaction re-reads the keys whose new incident a concurrent delivery opened. */
const MAX_OPEN_ROUNDS = 4;

/** PostgreSQL's deadlock_detected and serialization_failure: safe to retry the transaction. */
const RETRYABLE_PG_CODES = new Set(['40P01', '40001']);

/** Concurrent deliveries changed this delivery's incidents too often within one transaction. */
class IncidentsMovedError extends Error {
  name = 'IncidentsMovedError';
}

function isRetryable(error: unknown): boolean {
  return (
    error instanceof IncidentsMovedError ||
    isDatabaseConflictError(error) ||
    RETRYABLE_PG_CODES.has((error as { code?: string })?.code ?? '')
  );
}

function jitteredBackoff(attempt: number): Promise<void> {
  const ms = Math.random() * BACKOFF_BASE_MS * 2 ** Math.min(attempt, 6);
  return new Promise(resolve => setTimeout(resolve, ms));
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

  private constructor(
    private readonly knex: Knex,
    private readonly reopenWindowMs: number,
    private readonly maxAttempts: number,
    private readonly groupWaitMs: number,
  ) {}

  async ingest(delivery: IngestDelivery): Promise<IngestResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.knex.transaction(tx => this.ingestIn(tx, delivery));
      } catch (error) {
        if (!isRetryable(error)) {
          throw error;
        }
        const earlier = await this.findDelivery(this.knex, delivery);
        if (earlier) {
          return earlier;
        }
        if (attempt >= MAX_ATTEMPTS) {
          throw error;
        }
        await jitteredBackoff(attempt);
      }
    }
  }

  /**
   * A fixed number of statements per delivery, whatever its size: lock the incidents of its
   * correlation keys, insert the new incidents, upsert all alerts, refresh the incidents that
   * existed, add the enrich jobs and record the delivery.
   */
  private async ingestIn(
    tx: Knex.Transaction,
    delivery: IngestDelivery,
  ): Promise<IngestResult> {
    // A delivery seen before fails on the unique (source, delivery_key) at the end, which rolls
    // everything back; ingest() then answers with the earlier delivery. Checking first would
    // cost every delivery a round trip to save work only on rare re-deliveries.
    const now = new Date();
    const groups = new Map<string, IngestAlert[]>();
    for (const item of delivery.alerts) {
      const group = groups.get(item.correlationKey);
      if (group) {
        group.push(item);
      } else {
        groups.set(item.correlationKey, [item]);
      }
    }
    const keys = [...groups.keys()].sort();
    const known = await this.lockIncidentsOf(tx, keys);

    const targets: Target[] = keys.map(key => {
      const items = latestPerAlert(groups.get(key)!);
      return { key, items, ...this.chooseIncident(key, items, known, now) };
    });
    await this.openIncidents(tx, targets, now);
    await this.upsertAlerts(
      tx,
      targets.flatMap(t => t.items.map(item => ({ id: t.incident.id, item }))),
      now,
    );
    await this.refreshIncidents(
      tx,
      targets.filter(t => !t.opened),
      now,
    );
    const triagedIncidentIds = targets
      .filter(t => t.triage)
      .map(t => t.incident.id);
    await insertJobs(
      tx,
      triagedIncidentIds.map(incidentId => ({
        type: 'enrich',
        incidentId,
        maxAttempts: this.maxAttempts,
        runAfter: new Date(now.getTime() + this.groupWaitMs),
      })),
    );

    const incidentIds = targets.map(t => t.incident.id);
    const deliveryId = randomUUID();
    await tx('deliveries').insert({
      id: deliveryId,
      source: delivery.source,
      delivery_key: delivery.deliveryKey,
      alert_count: delivery.alerts.length,
      truncated_alerts: delivery.truncatedAlerts ?? 0,
      incident_ids: JSON.stringify(incidentIds),
      received_at: now,
    });
    return { deliveryId, duplicate: false, incidentIds, triagedIncidentIds };
  }

  /**
   * Inserts the delivery's new incidents. A concurrent delivery may open the same incident
   * first: the insert then skips that row (on conflict of the unique `active_key`; PostgreSQL
   * waits for the other transaction to commit), and the key is read again and joins the
   * incident the other delivery opened, all inside this transaction, so overlapping senders
   * converge instead of failing.
   */
  private async openIncidents(
    tx: Knex.Transaction,
    targets: Target[],
    now: Date,
  ): Promise<void> {
    let pending = targets.filter(t => t.opened);
    for (let round = 1; pending.length > 0; round++) {
      if (round > MAX_OPEN_ROUNDS) {
        throw new IncidentsMovedError(
          'Concurrent deliveries kept changing the incidents of this delivery',
        );
      }
      const inserted = new Set<string>();
      for (let i = 0; i < pending.length; i += UPSERT_CHUNK) {
        const chunk = pending.slice(i, i + UPSERT_CHUNK).map(t => t.incident);
        await tx('incidents').insert(chunk).onConflict('active_key').ignore();
        const ids: string[] = await tx('incidents')
          .whereIn(
            'id',
            chunk.map(row => row.id),
          )
          .pluck('id');
        ids.forEach(id => inserted.add(id));
      }
      const lost = pending.filter(t => !inserted.has(t.incident.id));
      if (lost.length === 0) {
        return;
      }
      const known = await this.lockIncidentsOf(
        tx,
        lost.map(t => t.key),
      );
      for (const target of lost) {
        Object.assign(
          target,
          this.chooseIncident(target.key, target.items, known, now),
        );
      }
      pending = lost.filter(t => t.opened);
    }
  }

  /** The answer to a delivery stored before: the same incidents, marked duplicate. */
  private async findDelivery(
    db: Knex,
    delivery: IngestDelivery,
  ): Promise<IngestResult | undefined> {
    const row = await db('deliveries')
      .where({ source: delivery.source, delivery_key: delivery.deliveryKey })
      .first();
    return row
      ? {
          deliveryId: row.id,
          duplicate: true,
          incidentIds: JSON.parse(row.incident_ids),
          triagedIncidentIds: [],
        }
      : undefined;
  }

  /**
   * The incidents of the keys, in one statement. On PostgreSQL they are locked in key order, so
   * deliveries of one key serialize and concurrent deliveries never lock in opposite orders.
   * When two re-fires race to reopen a resolved incident, the second one waits here and then
   * reads the row as the first committed it (open again): it neither reopens it a second time
   * nor adds a second enrich job. Two deliveries opening the same new incident meet on the
   * unique `active_key` instead, where openIncidents() lets the second join the first.
   */
  private async lockIncidentsOf(
    tx: Knex.Transaction,
    keys: string[],
  ): Promise<Map<string, IncidentRow[]>> {
    const known = new Map<string, IncidentRow[]>();
    for (let i = 0; i < keys.length; i += UPSERT_CHUNK) {
      let query = tx<IncidentRow>('incidents')
        .whereIn('correlation_key', keys.slice(i, i + UPSERT_CHUNK))
        .orderBy([{ column: 'correlation_key' }, { column: 'id' }]);
      if (isPostgres(this.knex)) {
        query = query.forUpdate();
      }
      for (const row of await query) {
        const rows = known.get(row.correlation_key);
        if (rows) {
          rows.push(row);
        } else {
          known.set(row.correlation_key, [row]);
        }
      }
    }
    return known;
  }

  /**
   * The open incident of the key; else the latest one, reopened when it resolved within the
   * reopen window and the delivery has a firing alert; else a new incident.
   */
  private chooseIncident(
    key: string,
    items: IngestAlert[],
    known: Map<string, IncidentRow[]>,
    now: Date,
  ): { incident: IncidentRow; triage: boolean; opened: boolean } {
    const rows = known.get(key) ?? [];
    const open = rows.find(row => row.active_key);
    if (open) {
      return { incident: open, triage: false, opened: false };
    }
    const firing = items.some(i => i.alert.status === 'firing');
    const latest = rows.reduce<IncidentRow | undefined>(
      (last, row) =>
        !last || timeOf(row.last_seen_at) > timeOf(last.last_seen_at)
          ? row
          : last,
      undefined,
    );
    if (latest) {
      const resolvedAt = latest.resolved_at ? timeOf(latest.resolved_at) : 0;
      if (!firing) {
        return { incident: latest, triage: false, opened: false };
      }
      if (now.getTime() - resolvedAt <= this.reopenWindowMs) {
        return {
          incident: {
            ...latest,
            status: 'open',
            active_key: key,
            resolved_at: null,
            triage_state: 'pending',
          },
          triage: true,
          opened: false,
        };
      }
    }

    // A new incident holds exactly this delivery's alerts, so it is written final at once.
    const first = items[0];
    const resource = first.alert.resource;
    const incident: IncidentRow = {
      id: randomUUID(),
      correlation_key: key,
      active_key: firing ? key : null,
      title: `${first.alert.name} on ${resource['service.name']}`,
      entity_ref: items.find(i => i.entityRef)?.entityRef ?? null,
      service_name: resource['service.name'],
      namespace: resource['k8s.namespace.name'] ?? null,
      cluster: resource['k8s.cluster.name'] ?? null,
      severity: worstSeverity(items.map(i => i.alert.severity)),
      status: firing ? 'open' : 'resolved',
      triage_state: 'pending',
      first_seen_at: now,
      last_seen_at: now,
      resolved_at: firing ? null : now,
      updated_at: now,
    };
    return { incident, triage: true, opened: true };
  }

  /** Inserts or updates the delivery's alerts, in one statement per chunk. */
  private async upsertAlerts(
    tx: Knex.Transaction,
    alerts: Array<{ id: string; item: IngestAlert }>,
    now: Date,
  ): Promise<void> {
    const rows = alerts.map(({ id, item: { alert } }) => ({
      id: randomUUID(),
      incident_id: id,
      source: alert.source,
      fingerprint: alert.fingerprint,
      name: alert.name,
      status: alert.status,
      severity: alert.severity,
      starts_at: new Date(alert.startsAt),
      ends_at: alert.endsAt ? new Date(alert.endsAt) : null,
      labels: JSON.stringify(alert.labels),
      annotations: JSON.stringify(alert.annotations),
      resource: JSON.stringify(alert.resource),
      generator_url: alert.generatorURL,
      received_at: now,
    }));
    for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
      await tx('alerts')
        .insert(rows.slice(i, i + UPSERT_CHUNK))
        .onConflict(['incident_id', 'source', 'fingerprint'])
        .merge(ALERT_UPDATE_COLUMNS);
    }
  }

  /**
   * Incidents that existed before the delivery: severity becomes the worst alert's, and the
   * incident resolves once no alert fires. Aggregated in the database in one statement, since
   * an incident of a long storm can hold many alerts.
   */
  private async refreshIncidents(
    tx: Knex.Transaction,
    targets: Target[],
    now: Date,
  ): Promise<void> {
    if (targets.length === 0) {
      return;
    }
    const summaries: Array<{
      incident_id: string;
      firing: number | string;
      worst: number | string;
    }> = await tx('alerts')
      .whereIn(
        'incident_id',
        targets.map(t => t.incident.id),
      )
      .groupBy('incident_id')
      .select(
        'incident_id',
        tx.raw("sum(case when status = 'firing' then 1 else 0 end) as firing"),
        tx.raw(
          `min(case severity ${SEVERITIES.map(() => 'when ? then ?').join(
            ' ',
          )} end) as worst`,
          SEVERITIES.flatMap((severity, rank) => [severity, rank]),
        ),
      );
    const byIncident = new Map(summaries.map(row => [row.incident_id, row]));
    for (const { incident, items } of targets) {
      const summary = byIncident.get(incident.id);
      const firing = Number(summary?.firing ?? 0) > 0;
      const entityRef =
        incident.entity_ref ?? items.find(i => i.entityRef)?.entityRef ?? null;
      await tx('incidents')
        .where('id', incident.id)
        .update({
          severity: SEVERITIES[Number(summary?.worst)] ?? incident.severity,
          entity_ref: entityRef,
          // An acknowledged incident stays acknowledged while its alerts fire.
          status: firing ? stillActive(incident.status) : 'resolved',
          active_key: firing ? incident.correlation_key : null,
          resolved_at: firing ? null : incident.resolved_at ?? now,
          triage_state: incident.triage_state,
          last_seen_at: now,
          updated_at: now,
        });
    }
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

  async requestRetriage(incidentId: string): Promise<RetriageResult> {
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
      const active = await tx('jobs')
        .where('incident_id', incidentId)
        .whereIn('status', ['queued', 'running'])
        .first('id');
      if (!active) {
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
        outcome: active ? ('in-progress' as const) : ('queued' as const),
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

  async setTriageState(incidentId: string, state: TriageState): Promise<void> {
    await this.knex('incidents')
      .where('id', incidentId)
      .update({ triage_state: state, updated_at: new Date() });
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

/** Narrows an incident query to what the filter asks for (limit and offset aside). */
function applyIncidentFilter(
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

function timeOf(value: DbTimestamp): number {
  return Date.parse(toIso(value));
}

function worstSeverity(severities: Severity[]): Severity {
  return severities.reduce((worst, s) =>
    SEVERITIES.indexOf(s) < SEVERITIES.indexOf(worst) ? s : worst,
  );
}

/**
 * One item per alert (source and fingerprint): a fingerprint repeated in a delivery counts once
 * and the last one wins, as one insert statement must not update the same row twice.
 */
function latestPerAlert(items: IngestAlert[]): IngestAlert[] {
  const latest = new Map<string, IngestAlert>();
  for (const item of items) {
    const id = `${item.alert.source}\u0000${item.alert.fingerprint}`;
    latest.delete(id);
    latest.set(id, item);
  }
  return [...latest.values()];
}

function stillActive(status: IncidentStatus): IncidentStatus {
  return status === 'acknowledged' ? 'acknowledged' : 'open';
}

function toIncident(row: IncidentRow): Incident {
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

function toAlert(row: AlertRow): Alert {
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
