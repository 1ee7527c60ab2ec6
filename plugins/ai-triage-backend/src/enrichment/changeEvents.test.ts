import { changeEvents } from './changeEvents';

const at = (s: number) => Date.UTC(2026, 11, 6, 12, 0, s);
const record = (
  serviceName: string,
  s: number,
  attributes: Record<string, string>,
) => ({ serviceName, timeMs: at(s), attributes });

describe('changeEvents', () => {
  it('reads a deploy from a new service.version, old and new versions named', () => {
    const events = changeEvents([
      record('checkout', 0, {
        'service.version': '1.4.2',
        'service.instance.id': 'a',
      }),
      record('checkout', 50, {
        'service.version': '1.4.2',
        'service.instance.id': 'a',
      }),
      record('checkout', 61, {
        'service.version': '1.5.0',
        'service.instance.id': 'b',
      }),
      record('payments', 10, { 'service.version': '3.0.4' }),
    ]);
    expect(events).toEqual([
      {
        id: 'change:deploy:checkout:1.5.0',
        service: 'checkout',
        kind: 'deploy',
        at: new Date(at(61)).toISOString(),
        from: '1.4.2',
        to: '1.5.0',
        summary: expect.stringContaining('checkout 1.4.2 → 1.5.0'),
      },
    ]);
  });

  it('reads a restart from a new instance that follows one that stopped, not from replicas side by side', () => {
    const restart = changeEvents([
      record('search', 0, {
        'service.version': '2',
        'service.instance.id': 'a',
      }),
      record('search', 30, {
        'service.version': '2',
        'service.instance.id': 'a',
      }),
      record('search', 40, {
        'service.version': '2',
        'service.instance.id': 'b',
      }),
    ]);
    expect(restart.map(e => e.id)).toEqual(['change:restart:search:b']);
    const replicas = changeEvents([
      record('search', 0, { 'service.instance.id': 'a' }),
      record('search', 5, { 'service.instance.id': 'b' }),
      record('search', 30, { 'service.instance.id': 'a' }),
    ]);
    expect(replicas).toEqual([]);
  });

  it('finds nothing in records without resource attributes', () => {
    expect(changeEvents([record('x', 0, {}), record('x', 5, {})])).toEqual([]);
  });
});
