import { InputError } from '@backstage/errors';
import { parseDelivery } from './parseDelivery';

const receivedAt = new Date('2026-11-24T12:00:00.000Z');

/** A Grafana 11 webhook as its webhook contact point sends it (our own values). */
const grafana = {
  receiver: 'ai-triage',
  status: 'firing',
  orgId: 1,
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'PaymentsErrorRate',
        service: 'payments',
        severity: 'critical',
        grafana_folder: 'shop',
      },
      annotations: { summary: 'error rate 12%' },
      startsAt: '2026-11-24T11:58:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'https://grafana.example/alerting/grafana/abc/view',
      fingerprint: '4f2a9c',
      silenceURL: 'https://grafana.example/alerting/silence/new',
      dashboardURL: 'https://grafana.example/d/payments',
      panelURL: 'https://grafana.example/d/payments?viewPanel=3',
      values: { A: 0.12, B: null },
      valueString: "[ var='A' value=0.12 ]",
    },
  ],
  groupLabels: { alertname: 'PaymentsErrorRate' },
  commonLabels: { alertname: 'PaymentsErrorRate' },
  commonAnnotations: {},
  externalURL: 'https://grafana.example/',
  version: '1',
  groupKey: '{}:{alertname="PaymentsErrorRate"}',
  truncatedAlerts: 0,
  title: '[FIRING:1] PaymentsErrorRate',
  state: 'alerting',
  message: '**Firing**',
  someFutureField: { nested: true },
};

const pagerDutyTrigger = {
  routing_key: 'R0UT1NGKEYSECRET0000000000000000',
  event_action: 'trigger',
  dedup_key: 'payments/db-pool',
  client: 'Nagios',
  client_url: 'https://nagios.example/host/db1',
  payload: {
    summary: 'Connection pool exhausted on payments-db',
    source: 'db1.example.com',
    severity: 'error',
    timestamp: '2026-11-24T11:59:30.000+0000',
    component: 'payments',
    group: 'shop',
    class: 'ConnectionPoolExhausted',
    custom_details: { pool: 'primary', in_use: 50, namespace: 'shop-prod' },
  },
  links: [{ href: 'https://runbooks.example/db-pool', text: 'Runbook' }],
};

describe('parseDelivery', () => {
  it('normalizes a Grafana webhook, keeping its links and values as annotations', () => {
    const parsed = parseDelivery('grafana', grafana, receivedAt);
    expect(parsed.alerts).toEqual([
      {
        path: 'alerts[0]',
        alert: {
          source: 'grafana',
          fingerprint: '4f2a9c',
          name: 'PaymentsErrorRate',
          status: 'firing',
          severity: 'critical',
          startsAt: '2026-11-24T11:58:00.000Z',
          endsAt: null,
          labels: {
            alertname: 'PaymentsErrorRate',
            service: 'payments',
            severity: 'critical',
            grafana_folder: 'shop',
          },
          annotations: {
            summary: 'error rate 12%',
            dashboardURL: 'https://grafana.example/d/payments',
            panelURL: 'https://grafana.example/d/payments?viewPanel=3',
            silenceURL: 'https://grafana.example/alerting/silence/new',
            valueString: "[ var='A' value=0.12 ]",
            values: '{"A":0.12,"B":null}',
          },
          generatorURL: 'https://grafana.example/alerting/grafana/abc/view',
          resource: { 'service.name': 'payments' },
        },
      },
    ]);
  });

  it('turns a PagerDuty trigger into an event that describes its alert, without the routing key', () => {
    const parsed = parseDelivery('pagerduty', pagerDutyTrigger, receivedAt);
    expect(parsed.alerts).toEqual([]);
    expect(parsed.events).toHaveLength(1);
    const [event] = parsed.events;
    expect(event).toMatchObject({
      fingerprint: 'payments/db-pool',
      status: 'firing',
      severity: 'high',
      at: '2026-11-24T11:59:30.000Z',
    });
    expect(event.alert).toEqual({
      source: 'pagerduty',
      fingerprint: 'payments/db-pool',
      name: 'ConnectionPoolExhausted',
      status: 'firing',
      severity: 'high',
      startsAt: '2026-11-24T11:59:30.000Z',
      endsAt: null,
      labels: {
        alertname: 'ConnectionPoolExhausted',
        severity: 'error',
        source: 'db1.example.com',
        component: 'payments',
        group: 'shop',
        class: 'ConnectionPoolExhausted',
      },
      annotations: {
        pagerduty_event_action: 'trigger',
        summary: 'Connection pool exhausted on payments-db',
        client: 'Nagios',
        client_url: 'https://nagios.example/host/db1',
        custom_details:
          '{"pool":"primary","in_use":50,"namespace":"shop-prod"}',
        links: 'https://runbooks.example/db-pool',
      },
      generatorURL: 'https://nagios.example/host/db1',
      resource: {
        'service.name': 'payments',
        'k8s.namespace.name': 'shop-prod',
      },
    });
    expect(JSON.stringify(parsed)).not.toContain('R0UT1NGKEY');
  });

  it('maps the PagerDuty severities and takes a service from custom_details, else component, else source', () => {
    const withService = parseDelivery(
      'pagerduty',
      {
        ...pagerDutyTrigger,
        payload: {
          ...pagerDutyTrigger.payload,
          severity: 'critical',
          custom_details: { service: 'checkout' },
        },
      },
      receivedAt,
    ).events[0].alert!;
    expect(withService.resource['service.name']).toBe('checkout');
    expect(withService.severity).toBe('critical');
    const bare = parseDelivery(
      'pagerduty',
      {
        event_action: 'trigger',
        payload: { summary: 'Disk full', source: 'host-7', severity: 'info' },
      },
      receivedAt,
    ).events[0];
    expect(bare.alert).toMatchObject({
      name: 'Disk full',
      severity: 'info',
      startsAt: receivedAt.toISOString(),
      resource: { 'service.name': 'host-7' },
    });
    expect(bare.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('turns a PagerDuty resolve without payload into an event on the dedup key only', () => {
    const parsed = parseDelivery(
      'pagerduty',
      { event_action: 'resolve', dedup_key: 'payments/db-pool' },
      receivedAt,
    );
    expect(parsed.events).toEqual([
      {
        path: '(event)',
        fingerprint: 'payments/db-pool',
        status: 'resolved',
        severity: undefined,
        at: receivedAt.toISOString(),
        annotations: { pagerduty_event_action: 'resolve' },
        alert: undefined,
      },
    ]);
  });

  it('normalizes the generic format with its defaults', () => {
    const parsed = parseDelivery(
      'generic',
      {
        alerts: [
          {
            id: 'queue-lag-1',
            title: 'QueueLagHigh',
            severity: 'P2',
            service: 'orders',
            resource: { 'k8s.namespace.name': 'shop' },
            labels: { queue: 'orders-in' },
            annotations: { summary: 'lag 5 min' },
            startsAt: '2026-11-24T11:00:00Z',
            url: 'https://monitor.example/q/1',
          },
          { title: 'OrdersDown', service: 'orders', status: 'resolved' },
        ],
      },
      receivedAt,
    );
    const [first, second] = parsed.alerts.map(a => a.alert);
    expect(first).toEqual({
      source: 'generic',
      fingerprint: 'queue-lag-1',
      name: 'QueueLagHigh',
      status: 'firing',
      severity: 'high',
      startsAt: '2026-11-24T11:00:00.000Z',
      endsAt: null,
      labels: { queue: 'orders-in' },
      annotations: { summary: 'lag 5 min' },
      generatorURL: 'https://monitor.example/q/1',
      resource: { 'service.name': 'orders', 'k8s.namespace.name': 'shop' },
    });
    expect(second).toMatchObject({
      status: 'resolved',
      severity: 'warning',
      startsAt: receivedAt.toISOString(),
      endsAt: receivedAt.toISOString(),
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  it.each([
    [
      'grafana',
      { ...grafana, alerts: [{ ...grafana.alerts[0], startsAt: 'now' }] },
      'Invalid Grafana webhook: alerts[0].startsAt: must be an RFC 3339 timestamp',
    ],
    [
      'pagerduty',
      { routing_key: 'x', event_action: 'trigger' },
      'Invalid PagerDuty event: payload: is required when event_action is trigger',
    ],
    [
      'pagerduty',
      { event_action: 'acknowledge' },
      'Invalid PagerDuty event: dedup_key: is required when event_action is acknowledge',
    ],
    [
      'pagerduty',
      { event_action: 'escalate', dedup_key: 'k' },
      "Invalid PagerDuty event: event_action: Invalid enum value. Expected 'trigger' | 'acknowledge' | 'resolve', received 'escalate'",
    ],
    [
      'generic',
      { alerts: [{ title: 'X' }] },
      'Invalid generic webhook: alerts[0].service: Required',
    ],
    [
      'generic',
      [{ title: 'X', service: 'y' }],
      'Invalid generic webhook: (body): Expected object, received array',
    ],
  ] as const)(
    'rejects a wrong %s payload naming the field',
    (source, body, message) => {
      expect(() => parseDelivery(source, body, receivedAt)).toThrow(
        new InputError(message),
      );
    },
  );
});
