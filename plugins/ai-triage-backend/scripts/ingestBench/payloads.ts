import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import { IngestDelivery } from '../../src/database/IncidentStore';
import { correlationKey } from '../../src/ingest/correlationKey';

/*
 * The ingest benchmark's load: Alertmanager payloads, the rows the intake stores for one
 * (written straight through knex) and the delivery the store's ingest transaction takes.
 */

export const ALERTS_PER_PAYLOAD = 50;
export const INSTANCES = 25;
export const ALERT_NAMES = [
  'HighErrorRate',
  'HighLatency',
  'PodCrashLooping',
  'CPUThrottling',
];

export type AlertmanagerAlert = {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
};

/**
 * Alerts of `services` services, each firing 4 alert names on 25 instances (100 distinct alerts
 * per service), `rounds` times over (Alertmanager re-notifies), in 50-alert Alertmanager payloads.
 */
export function alertmanagerPayloads(
  prefix: string,
  services: number,
  rounds: number,
  limit: number,
): { bodies: string[]; alerts: number; incidents: number; distinct: number } {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const all: AlertmanagerAlert[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let s = 0; s < services; s++) {
      for (const [n, alertname] of ALERT_NAMES.entries()) {
        for (let i = 0; i < INSTANCES; i++) {
          const service = `${prefix}-svc-${s}`;
          all.push({
            status: 'firing',
            labels: {
              alertname,
              service,
              namespace: 'prod',
              severity: i % 5 === 0 ? 'critical' : 'warning',
              instance: `${service}-${i}:8080`,
            },
            annotations: {
              summary: `${alertname} on ${service} instance ${i}`,
              description: `round ${round}`,
            },
            startsAt,
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: `http://prometheus:9090/graph?g0.expr=${alertname}`,
            fingerprint: `${prefix}-${s}-${n}-${i}`,
          });
        }
      }
    }
  }
  const alerts = all.slice(0, limit);
  const bodies: string[] = [];
  for (let i = 0; i < alerts.length; i += ALERTS_PER_PAYLOAD) {
    const group = alerts.slice(i, i + ALERTS_PER_PAYLOAD);
    bodies.push(
      JSON.stringify({
        version: '4',
        groupKey: `{}:{service="${group[0].labels.service}"}`,
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'ai-triage',
        groupLabels: { service: group[0].labels.service },
        commonLabels: { service: group[0].labels.service, namespace: 'prod' },
        commonAnnotations: {},
        externalURL: 'http://alertmanager:9093',
        alerts: group,
      }),
    );
  }
  const keys = new Set(
    alerts.map(a => `${a.labels.service}/${a.labels.alertname}`),
  );
  const distinct = new Set(alerts.map(a => a.fingerprint));
  return {
    bodies,
    alerts: alerts.length,
    incidents: keys.size,
    distinct: distinct.size,
  };
}

/**
 * The rows the intake stores for a payload, written straight through knex in one transaction
 * per payload: the delivery, its incidents, its alerts and one enrich job per new incident.
 */
export async function writeDirect(knex: Knex, body: string): Promise<void> {
  const payload = JSON.parse(body) as { alerts: AlertmanagerAlert[] };
  const now = new Date();
  const incidents = new Map<string, string>();
  for (const a of payload.alerts) {
    const key = `${a.labels.service}/${a.labels.alertname}`;
    if (!incidents.has(key)) {
      incidents.set(key, randomUUID());
    }
  }
  await knex.transaction(async tx => {
    await tx('deliveries').insert({
      id: randomUUID(),
      source: 'alertmanager',
      delivery_key: randomUUID(),
      alert_count: payload.alerts.length,
      incident_ids: JSON.stringify([...incidents.values()]),
      received_at: now,
    });
    await tx('incidents').insert(
      [...incidents].map(([key, id]) => ({
        id,
        correlation_key: key,
        active_key: `${key}/${id}`,
        title: key,
        entity_ref: null,
        service_name: key.split('/')[0],
        namespace: 'prod',
        cluster: null,
        severity: 'critical',
        status: 'open',
        triage_state: 'pending',
        first_seen_at: now,
        last_seen_at: now,
        resolved_at: null,
        updated_at: now,
      })),
    );
    await tx('alerts').insert(
      payload.alerts.map(a => ({
        id: randomUUID(),
        incident_id: incidents.get(`${a.labels.service}/${a.labels.alertname}`),
        source: 'alertmanager',
        fingerprint: a.fingerprint,
        name: a.labels.alertname,
        status: a.status,
        severity: a.labels.severity,
        starts_at: new Date(a.startsAt),
        ends_at: null,
        labels: JSON.stringify(a.labels),
        annotations: JSON.stringify(a.annotations),
        resource: JSON.stringify({ 'service.name': a.labels.service }),
        generator_url: a.generatorURL,
        received_at: now,
      })),
    );
    await tx('jobs').insert(
      [...incidents.values()].map(id => ({
        type: 'enrich',
        incident_id: id,
        status: 'queued',
        attempts: 0,
        max_attempts: 5,
        run_after: now,
        created_at: now,
        updated_at: now,
      })),
    );
  });
}

/** The delivery the intake hands the store for a payload, built without the HTTP layer. */
export function toDelivery(body: string): IngestDelivery {
  const payload = JSON.parse(body) as { alerts: AlertmanagerAlert[] };
  return {
    source: 'alertmanager',
    deliveryKey: randomUUID(),
    alerts: payload.alerts.map(a => {
      const alert = {
        source: 'alertmanager' as const,
        fingerprint: a.fingerprint,
        name: a.labels.alertname,
        status: a.status,
        severity: a.labels.severity === 'critical' ? 'critical' : 'warning',
        startsAt: a.startsAt,
        endsAt: null,
        labels: a.labels,
        annotations: a.annotations,
        generatorURL: a.generatorURL,
        resource: {
          'service.name': a.labels.service,
          'k8s.namespace.name': a.labels.namespace,
        },
      } as IngestDelivery['alerts'][number]['alert'];
      return { alert, correlationKey: correlationKey(alert), entityRef: null };
    }),
  };
}
