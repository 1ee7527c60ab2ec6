import { alertmanagerWebhookSchema } from '@ai-triage/plugin-ai-triage-common';
import { mapSeverity } from './alertFields';
import { normalizeAlertmanager } from './normalizeAlertmanager';
import { correlationKey } from './correlationKey';

const webhook = alertmanagerWebhookSchema.parse({
  version: '4',
  groupKey: '{}:{alertname="CheckoutHighLatency"}',
  status: 'firing',
  receiver: 'ai-triage',
  truncatedAlerts: 2,
  groupLabels: { alertname: 'CheckoutHighLatency' },
  commonLabels: {
    alertname: 'CheckoutHighLatency',
    namespace: 'shop',
    cluster: 'eu-1',
  },
  commonAnnotations: { runbook: 'https://runbooks/checkout' },
  externalURL: 'http://alertmanager:9093',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'CheckoutHighLatency',
        service: 'checkout',
        severity: 'page',
      },
      annotations: { summary: 'p99 above 1s' },
      startsAt: '2026-11-24T10:00:00.123456789Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: 'abc123',
    },
    {
      labels: {
        alertname: 'CheckoutHighLatency',
        job: 'checkout-api',
        env: 'prod',
      },
      startsAt: '2026-11-24T10:01:00+01:00',
    },
  ],
});

const alertsOf = (w: typeof webhook) =>
  normalizeAlertmanager(w).alerts.map(a => a.alert);

describe('normalizeAlertmanager', () => {
  it('maps Alertmanager alerts to canonical alerts with OpenTelemetry resource attributes', () => {
    const parsed = normalizeAlertmanager(webhook);
    expect(parsed.truncatedAlerts).toBe(2);
    expect(parsed.events).toEqual([]);
    expect(parsed.alerts[0]).toEqual({
      path: 'alerts[0]',
      alert: {
        source: 'alertmanager',
        fingerprint: 'abc123',
        name: 'CheckoutHighLatency',
        status: 'firing',
        severity: 'critical',
        startsAt: '2026-11-24T10:00:00.123Z',
        endsAt: null,
        labels: {
          alertname: 'CheckoutHighLatency',
          namespace: 'shop',
          cluster: 'eu-1',
          service: 'checkout',
          severity: 'page',
        },
        annotations: {
          runbook: 'https://runbooks/checkout',
          summary: 'p99 above 1s',
        },
        generatorURL: 'http://prometheus/graph',
        resource: {
          'service.name': 'checkout',
          'k8s.namespace.name': 'shop',
          'k8s.cluster.name': 'eu-1',
        },
      },
    });
  });

  it('fills in what older Alertmanager releases leave out', () => {
    const [, old] = alertsOf(webhook);
    expect(old.status).toBe('firing');
    expect(old.startsAt).toBe('2026-11-24T09:01:00.000Z');
    expect(old.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(old.severity).toBe('warning');
    expect(old.generatorURL).toBeNull();
    expect(old.resource).toMatchObject({
      'service.name': 'checkout-api',
      'deployment.environment': 'prod',
    });
    expect(alertsOf(webhook)[1].fingerprint).toBe(old.fingerprint);
    expect(
      normalizeAlertmanager({ ...webhook, truncatedAlerts: undefined }),
    ).toMatchObject({ truncatedAlerts: 0 });
  });

  it('takes a version 3 payload with a numeric groupKey and the group status for its alerts', () => {
    const v3 = alertmanagerWebhookSchema.parse({
      version: '3',
      groupKey: 1234567890,
      status: 'resolved',
      alerts: [
        {
          labels: { alertname: 'DiskFull', service: 'db' },
          startsAt: '2026-11-24T10:00:00Z',
          endsAt: '2026-11-24T10:30:00Z',
        },
      ],
    });
    expect(alertsOf(v3)[0]).toMatchObject({
      status: 'resolved',
      endsAt: '2026-11-24T10:30:00.000Z',
      resource: { 'service.name': 'db' },
    });
  });

  it('keeps an alert that names no service, as unknown_service', () => {
    const [alert] = alertsOf({
      ...webhook,
      commonLabels: {},
      alerts: [{ ...webhook.alerts[0], labels: { alertname: 'X', host: 'a' } }],
    });
    expect(alert.resource).toEqual({ 'service.name': 'unknown_service' });
  });

  it('prefers OpenTelemetry label names over conventional ones', () => {
    const [alert] = alertsOf({
      ...webhook,
      commonLabels: {},
      alerts: [
        {
          ...webhook.alerts[0],
          labels: {
            alertname: 'X',
            'service.name': 'otel-name',
            service: 'label-name',
            'k8s.namespace.name': 'ns-otel',
            namespace: 'ns-label',
            'deployment.environment': 'staging',
          },
        },
      ],
    });
    expect(alert.resource).toEqual({
      'service.name': 'otel-name',
      'k8s.namespace.name': 'ns-otel',
      'deployment.environment': 'staging',
    });
  });

  it('maps severities from common conventions', () => {
    expect(
      ['critical', 'P1', 'error', 'warn', 'info', undefined, 'bogus'].map(
        mapSeverity,
      ),
    ).toEqual([
      'critical',
      'critical',
      'high',
      'warning',
      'info',
      'warning',
      'warning',
    ]);
  });

  it('correlates alerts of one service and cause, and separates other causes', () => {
    const [a, b] = alertsOf(webhook);
    const twin = { ...a, fingerprint: 'other-instance' };
    expect(correlationKey(twin)).toBe(correlationKey(a));
    expect(correlationKey({ ...a, name: 'CheckoutErrors' })).not.toBe(
      correlationKey(a),
    );
    expect(correlationKey(b)).not.toBe(correlationKey(a));
  });
});
