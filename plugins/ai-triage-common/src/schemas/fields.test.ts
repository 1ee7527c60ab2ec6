import { timestamp } from './fields';

describe('timestamp', () => {
  it.each([
    '2026-11-24T10:00:00Z',
    '2026-11-24T10:00:00.123456789Z',
    '2026-11-24T10:00:00+02:00',
    // Offsets without a colon (PagerDuty's example) and times without seconds, as zod 3 took them.
    '2015-07-17T08:42:58.315+0000',
    '2026-11-24T10:00+0200',
    '2024-02-29T00:00:00Z',
  ])('accepts %s', value => {
    expect(timestamp.safeParse(value).success).toBe(true);
  });

  it.each([
    ['yesterday', 'must be an RFC 3339 timestamp'],
    ['2026-11-24 10:00:00Z', 'must be an RFC 3339 timestamp'],
    ['2026-02-29T00:00:00Z', 'must be an RFC 3339 timestamp'],
    ['2026-11-24T10:00:00', 'must be an RFC 3339 timestamp'],
    [
      '2026-11-24T10:00:00+25:00',
      'must be a real instant (an offset within ±23:59)',
    ],
  ])('refuses %s', (value, message) => {
    expect(timestamp.safeParse(value).error?.issues).toEqual([
      expect.objectContaining({ message }),
    ]);
  });
});
