import { randomUUID } from 'node:crypto';
import { isDatabaseConflictError } from '@backstage/backend-plugin-api';
import {
  Alert,
  Incident,
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
} from './IncidentStore';
import { insertJob } from './DatabaseJobQueue';
import { isPostgres } from './isPostgres';
import { DbTimestamp, toIso, toIsoOrNull } from './timestamps';

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
  status: 'open' | 'resolved';
  triage_state: TriageState;
  first_seen_at: DbTimestamp;
  last_seen_at: DbTimestamp;
  resolved_at: DbTimestamp | null;
  updated_at: DbTimestamp;
  alert_count?: number | string;
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

/** How often a delivery is retried when a concurrent one opened the same incident first. */
const MAX_CONFLICT_RETRIES = 3;

export class DatabaseIncidentStore implements IncidentStore {
  static create(options: {
    knex: Knex;
    reopenWindowMs: number;
    maxAttempts: number;
  }): DatabaseIncidentStore {
    return new DatabaseIncidentStore(
      options.knex,
      options.reopenWindowMs,
      options.maxAttempts,
    );
  }

  private constructor(
    private readonly knex: Knex,
    private readonly reopenWindowMs: number,
    private readonly maxAttempts: number,
  ) {}

  async ingest(delivery: IngestDelivery): Promise<IngestResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.knex.transaction(tx => this.ingestIn(tx, delivery));
      } catch (error) {
        if (!isDatabaseConflictError(error)) {
          throw error;
        }
        const earlier = await this.findDelivery(this.knex, delivery);
        if (earlier) {
          return earlier;
        }
        if (attempt >= MAX_CONFLICT_RETRIES) {
          throw error;
        }
      }
    }
  }

  private async ingestIn(
    tx: Knex.Transaction,
    delivery: IngestDelivery,
  ): Promise<IngestResult> {
    const now = new Date();
    const earlier = await this.findDelivery(tx, delivery);
    if (earlier) {
      return earlier;
    }

    const groups = new Map<string, IngestAlert[]>();
    for (const item of delivery.alerts) {
      groups.set(item.correlationKey, [
        ...(groups.get(item.correlationKey) ?? []),
        item,
      ]);
    }
    const incidentIds: string[] = [];
    const triagedIncidentIds: string[] = [];
    // A fixed order keeps concurrent deliveries from locking incidents in opposite orders.
    for (const key of [...groups.keys()].sort()) {
      const items = groups.get(key)!;
      const { incident, triage } = await this.findOrOpenIncident(
        tx,
        key,
        items,
        now,
      );
      for (const { alert } of items) {
        await this.upsertAlert(tx, incident.id, alert, now);
      }
      await this.refreshIncident(tx, incident, items, now);
      if (triage) {
        await insertJob(tx, {
          type: 'enrich',
          incidentId: incident.id,
          maxAttempts: this.maxAttempts,
        });
        triagedIncidentIds.push(incident.id);
      }
      incidentIds.push(incident.id);
    }

    const deliveryId = randomUUID();
    await tx('deliveries').insert({
      id: deliveryId,
      source: delivery.source,
      delivery_key: delivery.deliveryKey,
      alert_count: delivery.alerts.length,
      incident_ids: JSON.stringify(incidentIds),
      received_at: now,
    });
    return { deliveryId, duplicate: false, incidentIds, triagedIncidentIds };
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
   * The open incident of the key; else the latest one reopened when it resolved within the
   * reopen window and the delivery has a firing alert; else a new incident.
   */
  private async findOrOpenIncident(
    tx: Knex.Transaction,
    key: string,
    items: IngestAlert[],
    now: Date,
  ): Promise<{ incident: IncidentRow; triage: boolean }> {
    let openQuery = tx<IncidentRow>('incidents')
      .where('active_key', key)
      .first();
    if (isPostgres(this.knex)) {
      openQuery = openQuery.forUpdate();
    }
    const open = await openQuery;
    if (open) {
      return { incident: open, triage: false };
    }

    const firing = items.some(i => i.alert.status === 'firing');
    const latest: IncidentRow | undefined = await tx<IncidentRow>('incidents')
      .where('correlation_key', key)
      .orderBy('last_seen_at', 'desc')
      .first();
    if (latest) {
      const resolvedAt = latest.resolved_at
        ? new Date(toIso(latest.resolved_at)).getTime()
        : 0;
      if (!firing) {
        return { incident: latest, triage: false };
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
        };
      }
    }

    const first = items[0];
    const resource = first.alert.resource;
    const incident: IncidentRow = {
      id: randomUUID(),
      correlation_key: key,
      active_key: firing ? key : null,
      title: `${first.alert.name} on ${resource['service.name']}`,
      entity_ref: first.entityRef,
      service_name: resource['service.name'],
      namespace: resource['k8s.namespace.name'] ?? null,
      cluster: resource['k8s.cluster.name'] ?? null,
      severity: first.alert.severity,
      status: firing ? 'open' : 'resolved',
      triage_state: 'pending',
      first_seen_at: now,
      last_seen_at: now,
      resolved_at: firing ? null : now,
      updated_at: now,
    };
    await tx('incidents').insert(incident);
    return { incident, triage: true };
  }

  private async upsertAlert(
    tx: Knex.Transaction,
    incidentId: string,
    alert: Alert,
    now: Date,
  ): Promise<void> {
    const changes = {
      status: alert.status,
      severity: alert.severity,
      starts_at: new Date(alert.startsAt),
      ends_at: alert.endsAt ? new Date(alert.endsAt) : null,
      labels: JSON.stringify(alert.labels),
      annotations: JSON.stringify(alert.annotations),
      resource: JSON.stringify(alert.resource),
      generator_url: alert.generatorURL,
      received_at: now,
    };
    await tx('alerts')
      .insert({
        id: randomUUID(),
        incident_id: incidentId,
        source: alert.source,
        fingerprint: alert.fingerprint,
        name: alert.name,
        ...changes,
      })
      .onConflict(['incident_id', 'source', 'fingerprint'])
      .merge(changes);
  }

  /** Severity is the worst alert's; the incident is resolved once no alert fires. */
  private async refreshIncident(
    tx: Knex.Transaction,
    incident: IncidentRow,
    items: IngestAlert[],
    now: Date,
  ): Promise<void> {
    const alerts: Array<Pick<AlertRow, 'status' | 'severity'>> = await tx(
      'alerts',
    )
      .where('incident_id', incident.id)
      .select('status', 'severity');
    const firing = alerts.some(a => a.status === 'firing');
    const severity = alerts
      .map(a => a.severity)
      .reduce((worst, s) =>
        SEVERITIES.indexOf(s) < SEVERITIES.indexOf(worst) ? s : worst,
      );
    const entityRef =
      incident.entity_ref ?? items.find(i => i.entityRef)?.entityRef ?? null;
    await tx('incidents')
      .where('id', incident.id)
      .update({
        severity,
        entity_ref: entityRef,
        status: firing ? 'open' : 'resolved',
        active_key: firing ? incident.correlation_key : null,
        resolved_at: firing ? null : incident.resolved_at ?? now,
        triage_state: incident.triage_state,
        last_seen_at: now,
        updated_at: now,
      });
  }

  async listIncidents(filter: IncidentFilter): Promise<Incident[]> {
    const query = this.incidentsWithCounts()
      .orderBy('last_seen_at', 'desc')
      .limit(filter.limit);
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
    return (await query).map(toIncident);
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
      source: row.source as StoredAlert['source'],
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
      receivedAt: toIso(row.received_at),
    }));
  }

  async setTriageState(incidentId: string, state: TriageState): Promise<void> {
    await this.knex('incidents')
      .where('id', incidentId)
      .update({ triage_state: state, updated_at: new Date() });
  }

  private incidentsWithCounts() {
    return this.knex<IncidentRow>('incidents').select(
      'incidents.*',
      this.knex('alerts')
        .count('*')
        .where('alerts.incident_id', this.knex.ref('incidents.id'))
        .as('alert_count'),
    );
  }
}

function toIncident(row: IncidentRow): Incident {
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
    triageState: row.triage_state,
    firstSeenAt: toIso(row.first_seen_at),
    lastSeenAt: toIso(row.last_seen_at),
    alertCount: Number(row.alert_count ?? 0),
  };
}
