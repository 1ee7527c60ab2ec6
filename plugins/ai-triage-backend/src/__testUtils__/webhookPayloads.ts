import { AlertSource } from '@ai-triage/plugin-ai-triage-common';

/**
 * Our own webhook bodies, one builder per sender, each firing one alert of `service` (or
 * resolving it): `key` makes the alert (and the body) distinct, `name` sets the cause.
 */
export type PayloadOptions = {
  service?: string;
  name?: string;
  key?: string;
  status?: 'firing' | 'resolved';
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};

export const webhookPayloads: Record<
  AlertSource,
  (options?: PayloadOptions) => Record<string, any>
> = {
  alertmanager: ({
    service = 'checkout-svc',
    name = 'CheckoutHighLatency',
    key = 'a1',
    status = 'firing',
    labels = {},
    annotations = {},
  } = {}) => ({
    version: '4',
    groupKey: `{}:{alertname="${name}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'ai-triage',
    groupLabels: { alertname: name },
    commonLabels: { alertname: name },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.test:9093',
    alerts: [
      {
        status,
        labels: {
          alertname: name,
          service,
          instance: key,
          severity: 'critical',
          ...labels,
        },
        annotations: { summary: 'p99 above 1s', ...annotations },
        startsAt: '2026-11-24T10:00:00Z',
        endsAt:
          status === 'resolved'
            ? '2026-11-24T10:10:00Z'
            : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.test/graph',
        fingerprint: `am-${key}`,
      },
    ],
  }),
  grafana: ({
    service = 'checkout-svc',
    name = 'CheckoutErrors',
    key = 'g1',
    status = 'firing',
    labels = {},
    annotations = {},
  } = {}) => ({
    receiver: 'ai-triage',
    status,
    orgId: 1,
    alerts: [
      {
        status,
        labels: { alertname: name, service, instance: key, ...labels },
        annotations: { summary: 'errors above 5%', ...annotations },
        startsAt: '2026-11-24T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'https://grafana.test/alerting/grafana/x/view',
        fingerprint: `gf-${key}`,
        dashboardURL: 'https://grafana.test/d/checkout',
        values: { A: 7.5 },
      },
    ],
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'https://grafana.test/',
    version: '1',
    groupKey: `{}:{alertname="${name}"}`,
    truncatedAlerts: 0,
    title: `[FIRING:1] ${name}`,
    state: status === 'firing' ? 'alerting' : 'ok',
  }),
  pagerduty: ({
    service = 'checkout-svc',
    name = 'CheckoutDbPool',
    key = 'p1',
    status = 'firing',
    annotations = {},
  } = {}) => ({
    routing_key: 'test-routing-key-0000000000000000',
    event_action: status === 'firing' ? 'trigger' : 'resolve',
    dedup_key: `pd-${key}`,
    payload: {
      summary: 'Connection pool exhausted',
      source: 'db1.test',
      severity: 'error',
      component: service,
      class: name,
      custom_details: { ...annotations },
    },
  }),
  generic: ({
    service = 'checkout-svc',
    name = 'CheckoutQueueLag',
    key = 'x1',
    status = 'firing',
    labels = {},
    annotations = {},
  } = {}) => ({
    alerts: [
      {
        id: `gen-${key}`,
        status,
        title: name,
        severity: 'warning',
        service,
        labels,
        annotations,
        startsAt: '2026-11-24T10:00:00Z',
      },
    ],
  }),
};
