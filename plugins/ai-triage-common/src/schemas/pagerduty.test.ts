import { thirdPartyData } from '@internal/fixtures';
import { pagerDutyEventSchema } from './pagerduty';

/** PagerDuty's published example event, kept outside the repository (see packages/fixtures). */
const EXAMPLE = 'alertmanager/pagerduty-events-v2/enqueue-trigger-example.json';
const fixtures = thirdPartyData([EXAMPLE]);

describe('pagerDutyEventSchema', () => {
  fixtures.it(
    "accepts PagerDuty's example trigger, with its +0000 timestamp",
    () => {
      const parsed = pagerDutyEventSchema.parse(fixtures.readJson(EXAMPLE));
      expect(parsed.event_action).toBe('trigger');
      expect(parsed.payload?.timestamp).toBe('2015-07-17T08:42:58.315+0000');
    },
  );

  it('takes acknowledge and resolve with a dedup_key and no payload', () => {
    for (const action of ['acknowledge', 'resolve']) {
      expect(
        pagerDutyEventSchema.safeParse({
          routing_key: 'k',
          event_action: action,
          dedup_key: 'd',
        }).success,
      ).toBe(true);
    }
  });

  it('requires a payload to trigger and a dedup_key for the other actions', () => {
    const paths = (body: unknown) =>
      pagerDutyEventSchema
        .safeParse(body)
        .error?.issues.map(i => `${i.path.join('.')}: ${i.message}`);
    expect(paths({ event_action: 'trigger' })).toEqual([
      'payload: is required when event_action is trigger',
    ]);
    expect(paths({ event_action: 'resolve' })).toEqual([
      'dedup_key: is required when event_action is resolve',
    ]);
    expect(
      paths({
        event_action: 'trigger',
        payload: { summary: 's', source: 'h', severity: 'urgent' },
      }),
    ).toEqual([
      'payload.severity: Invalid option: expected one of "critical"|"error"|"warning"|"info"',
    ]);
  });
});
