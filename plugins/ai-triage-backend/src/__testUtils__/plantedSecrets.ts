/**
 * One secret of every kind (none is real: each is built from parts, so scanners do not take the
 * source for a leak). `find` is what must not appear downstream: the secret part of the text.
 */
const fake = (...parts: string[]) => parts.join('');
export const PLANTED_SECRETS: Array<{
  kind: string;
  text: string;
  find: string;
}> = [
  {
    kind: 'aws',
    text: fake('AKIA', 'Z7Q3W9E1R5T8Y2U4'),
    find: 'Z7Q3W9E1R5T8Y2U4',
  },
  {
    kind: 'jwt',
    text: fake(
      'eyJhbGciOiJIUzI1NiJ9',
      '.eyJzdWIiOiJ1c2VyLTQyIn0',
      '.c2lnbmF0dXJlLW5vdA',
    ),
    find: 'eyJzdWIiOiJ1c2VyLTQyIn0',
  },
  {
    kind: 'password',
    text: fake('password=', 'Hunter2Secret'),
    find: 'Hunter2Secret',
  },
  { kind: 'email', text: fake('jane.roe', '@corp.example'), find: 'jane.roe@' },
  {
    kind: 'github',
    text: fake('ghp_', 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'),
    find: 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
  },
  {
    kind: 'postgres-url',
    text: fake('postgres://shop:', 'S3cretPgPass', '@db.internal:5432/shop'),
    find: 'S3cretPgPass',
  },
  {
    kind: 'card',
    text: fake('4111 1111 ', '1111 1111'),
    find: '4111 1111 1111 1111',
  },
  {
    kind: 'slack',
    text: fake('xoxb-', '1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'),
    find: 'AbCdEfGhIjKlMnOpQrStUvWx',
  },
  {
    kind: 'bearer',
    text: fake('Bearer ', 'opaqueAccessToken7f3a9c'),
    find: 'opaqueAccessToken7f3a9c',
  },
  {
    kind: 'stripe',
    text: fake('sk_live_', '4eC39HqLyjWDarjtT1zdp7dc'),
    find: '4eC39HqLyjWDarjtT1zdp7dc',
  },
  {
    kind: 'random-key',
    text: fake('9sK2mPq7XwL4', 'vR8nT1bY6cZ3dF5gH0jA'),
    find: '9sK2mPq7XwL4vR8nT1bY6cZ3dF5gH0jA',
  },
];

/** Every string field of every sender's payload holds the secret. */
export function webhookBodies(
  secret: string,
  i: number,
): Record<string, object> {
  const on = (what: string) => `${what} ${secret}`;
  return {
    alertmanager: {
      version: '4',
      status: 'firing',
      receiver: on('receiver'),
      groupKey: on('group'),
      groupLabels: { alertname: on('Alert') },
      commonLabels: { team: on('team') },
      commonAnnotations: { runbook: on('runbook') },
      externalURL: 'http://alertmanager.test',
      alerts: [
        {
          status: 'firing',
          labels: {
            alertname: on('HighErrorRate'),
            service: 'checkout',
            env: on('env'),
          },
          annotations: {
            summary: on('summary'),
            description: on('description'),
          },
          startsAt: new Date(Date.now() - 60_000).toISOString(),
          generatorURL: `http://prometheus.test/graph?g0.expr=${encodeURIComponent(
            secret,
          )}`,
          fingerprint: `am-${i}`,
        },
        {
          status: 'firing',
          labels: { alertname: 'Down', service: on('svc') },
          annotations: {},
          startsAt: new Date(Date.now() - 60_000).toISOString(),
          fingerprint: `am-svc-${i}`,
        },
      ],
    },
    grafana: {
      receiver: on('receiver'),
      status: 'firing',
      orgId: 1,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: on('GrafanaAlert'), service: 'checkout' },
          annotations: { summary: on('summary') },
          startsAt: new Date(Date.now() - 60_000).toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'https://grafana.test/alerting',
          fingerprint: `gf-${i}`,
          silenceURL: 'https://grafana.test/silence',
          dashboardURL: '',
          panelURL: '',
          values: null,
          valueString: on('value'),
        },
      ],
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'https://grafana.test/',
      version: '1',
      groupKey: on('group'),
      truncatedAlerts: 0,
      title: on('title'),
      state: 'alerting',
      message: on('message'),
    },
    // Without payload.class the alert is named after its summary.
    pagerduty: {
      routing_key: 'test-routing-key-0000000000000000',
      event_action: 'trigger',
      dedup_key: `pd-${i}`,
      client: on('client'),
      payload: {
        summary: on('summary'),
        source: on('source'),
        severity: 'error',
        component: 'checkout',
        group: on('group'),
        custom_details: { detail: on('detail') },
      },
    },
    generic: {
      alerts: [
        {
          id: `gen-${i}`,
          status: 'firing',
          title: on('title'),
          severity: 'warning',
          service: 'checkout',
          labels: { note: on('label') },
          annotations: { summary: on('summary') },
        },
      ],
    },
  };
}

/** Logs, spans and metrics of checkout whose every string holds the secret. */
export function otlpBodies(secret: string, i: number): Record<string, object> {
  const nowNs = String(BigInt(Date.now() - 30_000) * 1_000_000n);
  const endNs = String(BigInt(Date.now() - 29_000) * 1_000_000n);
  const attributes = [
    { key: 'user.note', value: { stringValue: `note ${secret}` } },
    { key: `attr ${secret}`, value: { stringValue: 'x' } },
  ];
  const resource = {
    attributes: [
      { key: 'service.name', value: { stringValue: 'checkout' } },
      { key: 'host.note', value: { stringValue: `host ${secret}` } },
    ],
  };
  return {
    logs: {
      resourceLogs: [
        {
          resource,
          scopeLogs: [
            {
              logRecords: Array.from({ length: 3 }, () => ({
                timeUnixNano: nowNs,
                severityNumber: 17,
                severityText: 'ERROR',
                body: { stringValue: `request failed: ${secret}` },
                attributes,
              })),
            },
          ],
        },
      ],
    },
    traces: {
      resourceSpans: [
        {
          resource,
          scopeSpans: [
            {
              spans: [
                {
                  traceId: `5b8efff798038103d269b633813fc6${String(i).padStart(
                    2,
                    '0',
                  )}`,
                  spanId: `eee19b7ec3c1b1${String(i).padStart(2, '0')}`,
                  name: `GET /pay ${secret}`,
                  kind: 3,
                  startTimeUnixNano: nowNs,
                  endTimeUnixNano: endNs,
                  attributes: [
                    ...attributes,
                    {
                      key: 'peer.service',
                      value: { stringValue: `peer ${secret}` },
                    },
                  ],
                  status: { code: 2, message: `error ${secret}` },
                },
              ],
            },
          ],
        },
      ],
    },
    metrics: {
      resourceMetrics: [
        {
          resource,
          scopeMetrics: [
            {
              metrics: [
                {
                  name: `http.errors ${secret}`.slice(0, 200),
                  gauge: {
                    dataPoints: [
                      { timeUnixNano: nowNs, asDouble: 5, attributes },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  };
}
