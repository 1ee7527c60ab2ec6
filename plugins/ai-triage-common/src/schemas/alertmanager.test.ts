import { thirdPartyData } from '@internal/fixtures';
import { alertmanagerWebhookSchema } from './alertmanager';

/** Real senders' payloads, kept outside the repository (see packages/fixtures). */
const fixtures = thirdPartyData(['alertmanager/']);

function fixture(file: string): unknown {
  return fixtures.readJson(`alertmanager/${file}`);
}

describe('alertmanagerWebhookSchema', () => {
  fixtures.it.each([
    'captured-alertmanager-0.25.0/01-firing-crashlooping-5-alerts.json',
    'captured-alertmanager-0.25.0/02-firing-crashlooping-max_alerts2-truncated3.json',
    'captured-alertmanager-0.25.0/04-firing-group-mixed-3-resolved-2-firing.json',
    'captured-alertmanager-0.25.0/05-resolved-higherrorrate.json',
    'zulip/alert.json',
    'zulip/single_alert.json',
    'zulip/single_alert_no_url.json',
    'prometheus-msteams/prom_post_request_12_alerts.json',
    'prometheus_bot/simpe.json',
    'prometheus_bot/production_example.json',
  ])('accepts the real payload %s', file => {
    const parsed = alertmanagerWebhookSchema.safeParse(fixture(file));
    expect(parsed.success ? 'ok' : parsed.error.message).toBe('ok');
  });

  fixtures.it(
    'takes version 3 with a numeric groupKey, and early payloads with a numeric version',
    () => {
      const v3 = alertmanagerWebhookSchema.parse(
        fixture('prometheus_bot/simpe.json'),
      );
      expect(v3).toMatchObject({ version: '3', groupKey: expect.any(Number) });
      expect(v3.truncatedAlerts).toBeUndefined();
      const early = alertmanagerWebhookSchema.parse(
        fixture('prometheus_bot/production_example.json'),
      );
      expect(early).toMatchObject({ version: 0, groupKey: 0 });
      expect(early.alerts.every(a => a.status === undefined)).toBe(true);
    },
  );

  fixtures.it(
    'keeps the alerts of a payload in order with their fields',
    () => {
      const parsed = alertmanagerWebhookSchema.parse(
        fixture(
          'captured-alertmanager-0.25.0/04-firing-group-mixed-3-resolved-2-firing.json',
        ),
      );
      expect(parsed.alerts).toHaveLength(5);
      expect(parsed.alerts.filter(a => a.status === 'resolved')).toHaveLength(
        3,
      );
    },
  );

  it('names the field that is wrong', () => {
    const result = alertmanagerWebhookSchema.safeParse({
      status: 'firing',
      alerts: [{ labels: { alertname: 'X' }, startsAt: 'yesterday' }],
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues).toEqual([
      expect.objectContaining({
        path: ['alerts', 0, 'startsAt'],
        message: 'must be an RFC 3339 timestamp',
      }),
    ]);
  });

  it('rejects a payload without alerts or with an unknown status', () => {
    expect(
      alertmanagerWebhookSchema.safeParse({ status: 'firing', alerts: [] })
        .success,
    ).toBe(false);
    expect(
      alertmanagerWebhookSchema.safeParse({
        status: 'exploded',
        alerts: [
          { labels: { alertname: 'X' }, startsAt: '2026-11-24T10:00:00Z' },
        ],
      }).success,
    ).toBe(false);
  });

  it('requires alertname among the labels', () => {
    const result = alertmanagerWebhookSchema.safeParse({
      status: 'firing',
      alerts: [{ labels: { service: 'x' }, startsAt: '2026-11-24T10:00:00Z' }],
    });
    expect(result.error?.issues[0]).toMatchObject({
      path: ['alerts', 0, 'labels'],
      message: 'labels.alertname is required',
    });
  });
});
