import { alertmanagerWebhookSchema } from '@ai-triage/plugin-ai-triage-common';
import { mapSeverity, normalizeAlertmanager } from './normalizeAlertmanager';
import { correlationKey } from './correlationKey';

const webhook = alertmanagerWebhookSchema.parse({
  version: '4',
  groupKey: '{}:{alertname="CheckoutHighLatency"}',
  status: 'firing',
  receiver: 'ai-triage',
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
      startsAt: '2026-11-24T10:01:00Z',
    },
  ],
});

describe('normalizeAlertmanager', () => {
  it('maps Alertmanager alerts to canonical alerts with OpenTelemetry resource attributes', () => {
    const { alerts, rejected } = normalizeAlertmanager(webhook);
    expect(rejected).toEqual([]);
    expect(alerts[0]).toEqual({
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
    });
  });

  it('fills in what older Alertmanager releases leave out', () => {
    const [, old] = normalizeAlertmanager(webhook).alerts;
    expect(old.status).toBe('firing');
    expect(old.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(old.severity).toBe('warning');
    expect(old.resource).toMatchObject({
      'service.name': 'checkout-api',
      'deployment.environment': 'prod',
    });
    expect(normalizeAlertmanager(webhook).alerts[1].fingerprint).toBe(
      old.fingerprint,
    );
  });

  it('rejects alerts that name no service, saying which labels to set', () => {
    const { rejected } = normalizeAlertmanager({
      ...webhook,
      commonLabels: {},
      alerts: [{ ...webhook.alerts[0], labels: { alertname: 'X' } }],
    });
    expect(rejected).toEqual([
      'alerts[0].labels: no service name; set one of service_name, service, job',
    ]);
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
    const [a, b] = normalizeAlertmanager(webhook).alerts;
    const twin = { ...a, fingerprint: 'other-instance' };
    expect(correlationKey(twin)).toBe(correlationKey(a));
    expect(correlationKey({ ...a, name: 'CheckoutErrors' })).not.toBe(
      correlationKey(a),
    );
    expect(correlationKey(b)).not.toBe(correlationKey(a));
  });
});
