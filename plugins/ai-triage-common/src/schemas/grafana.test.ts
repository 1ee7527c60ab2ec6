import { thirdPartyData } from '@internal/fixtures';
import { grafanaWebhookSchema } from './grafana';

/** Real Grafana payloads, kept outside the repository (see packages/fixtures). */
const fixtures = thirdPartyData(['alertmanager/grafana-unified-alerting/']);

describe('grafanaWebhookSchema', () => {
  fixtures.it.each([
    'zulip-alert-9-multiple.json',
    'zulip-alert-9-resolved.json',
    'zulip-alert_values_v11.json',
  ])('accepts the real payload %s', file => {
    const body = fixtures.readJson(
      `alertmanager/grafana-unified-alerting/${file}`,
    );
    const parsed = grafanaWebhookSchema.safeParse(body);
    expect(parsed.success ? 'ok' : parsed.error.message).toBe('ok');
  });

  it('keeps Grafana fields and tolerates unknown and missing ones', () => {
    const parsed = grafanaWebhookSchema.parse({
      status: 'firing',
      orgId: 3,
      state: 'alerting',
      futureField: [1, 2],
      alerts: [
        {
          labels: { alertname: 'A' },
          startsAt: '2026-11-24T10:00:00Z',
          dashboardURL: 'https://g/d/1',
          values: { B: 1.5, C: null },
          imageURL: 'https://g/i.png',
        },
      ],
    });
    expect(parsed.orgId).toBe(3);
    expect(parsed.alerts[0]).toMatchObject({
      dashboardURL: 'https://g/d/1',
      values: { B: 1.5, C: null },
      annotations: {},
    });
    expect((parsed as Record<string, unknown>).futureField).toEqual([1, 2]);
  });

  it('names a wrong Grafana field', () => {
    const result = grafanaWebhookSchema.safeParse({
      status: 'firing',
      alerts: [
        {
          labels: { alertname: 'A' },
          startsAt: '2026-11-24T10:00:00Z',
          dashboardURL: 42,
        },
      ],
    });
    expect(result.error?.issues[0].path).toEqual(['alerts', 0, 'dashboardURL']);
  });
});
