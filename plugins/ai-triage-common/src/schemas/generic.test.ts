import { genericWebhookSchema } from './generic';

describe('genericWebhookSchema', () => {
  it('needs only title and service, and fills in the defaults', () => {
    expect(
      genericWebhookSchema.parse({
        alerts: [{ title: 'DiskFull', service: ' db ', extra: true }],
      }).alerts[0],
    ).toEqual({
      title: 'DiskFull',
      service: 'db',
      status: 'firing',
      resource: {},
      labels: {},
      annotations: {},
      extra: true,
    });
  });

  it('names each missing or wrong field', () => {
    const issues = genericWebhookSchema
      .safeParse({
        alerts: [
          { title: 'A', service: 's', status: 'open' },
          { service: 's', startsAt: 'today', labels: { n: 1 } },
        ],
      })
      .error?.issues.map(i => i.path.join('.'));
    expect(issues).toEqual([
      'alerts.0.status',
      'alerts.1.title',
      'alerts.1.labels.n',
      'alerts.1.startsAt',
    ]);
  });
});
