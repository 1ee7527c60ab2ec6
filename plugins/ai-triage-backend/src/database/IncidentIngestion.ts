import { randomUUID } from 'node:crypto';
import { isDatabaseConflictError } from '@backstage/backend-plugin-api';
import { SEVERITIES } from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import { IngestAlert, IngestDelivery, IngestResult } from './IncidentStore';
import { insertJobs } from '../queue/DatabaseJobQueue';
import { isPostgres } from '../sql/isPostgres';
import {
  IncidentRow,
  timeOf,
  worstSeverity,
  latestPerAlert,
  stillActive,
} from './incidentRows';

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

/**
 * The intake's write path of the incident store: one transaction per alert delivery that
 * correlates its alerts into incidents, queues their enrich jobs and records the delivery,
 * retried on the conflicts concurrent deliveries cause (see DatabaseIncidentStore.ingest).
 */
export class IncidentIngestion {
  constructor(
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
}
