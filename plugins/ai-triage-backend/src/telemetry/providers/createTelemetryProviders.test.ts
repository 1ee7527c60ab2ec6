import { ConfigReader } from '@backstage/config';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { JsonObject } from '@backstage/types';
import { createTelemetryProviders } from './createTelemetryProviders';

function providersOf(providers: JsonObject[]) {
  return createTelemetryProviders(
    new ConfigReader({ aiTriage: { telemetry: { providers } } }),
  );
}

describe('createTelemetryProviders', () => {
  it('builds each configured provider with its name, signals, timeout and default flag', () => {
    const providers = providersOf([
      {
        type: 'prometheus',
        baseUrl: 'http://prometheus:9090',
        timeoutSeconds: 2,
      },
      {
        type: 'loki',
        name: 'loki-eu',
        baseUrl: 'http://loki:3100',
        headers: { 'X-Scope-OrgID': 'shop' },
      },
      { type: 'tempo', baseUrl: 'http://tempo:3200', default: false },
      { type: 'jaeger', baseUrl: 'http://jaeger:16686', maxTraces: 5 },
    ]);
    expect(
      providers.map(p => [p.name, p.signals, p.timeoutMs, p.servesAllEntities]),
    ).toEqual([
      ['prometheus', ['metrics'], 2000, true],
      ['loki-eu', ['logs'], undefined, true],
      ['tempo', ['spans'], undefined, false],
      ['jaeger', ['spans'], undefined, true],
    ]);
    expect(createTelemetryProviders(new ConfigReader({}))).toEqual([]);
  });

  it.each([
    [
      { type: 'datadog', baseUrl: 'http://x' },
      'aiTriage.telemetry.providers[0].type must be one of prometheus, loki, tempo, jaeger, got datadog',
    ],
    [
      { type: 'loki', baseUrl: 'loki:3100/' },
      'aiTriage.telemetry.providers[0].baseUrl must be an http(s) URL, got loki:3100/',
    ],
    [
      { type: 'loki', baseUrl: 'http://loki', timeoutSeconds: 0 },
      'aiTriage.telemetry.providers[0].timeoutSeconds must be a positive number',
    ],
    [
      { type: 'tempo', baseUrl: 'http://tempo', maxTraces: 2.5 },
      'aiTriage.telemetry.providers[0].maxTraces must be a whole number of at least 1, got 2.5',
    ],
  ])('refuses %j', (entry, message) => {
    expect(() => providersOf([entry])).toThrow(message);
  });

  it('reads header and metric names that hold dots, and an empty query that drops a default', async () => {
    const requests: Array<{ query: string | null; tenant: unknown }> = [];
    const server = http.createServer((req, res) => {
      requests.push({
        query: new URL(req.url!, 'http://x').searchParams.get('query'),
        tenant: req.headers['x-scope-orgid'],
      });
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'matrix', result: [] },
        }),
      );
    });
    await new Promise<void>(resolve =>
      server.listen(0, '127.0.0.1', () => resolve()),
    );
    try {
      const { port } = server.address() as AddressInfo;
      const [prometheus] = providersOf([
        {
          type: 'prometheus',
          baseUrl: `http://127.0.0.1:${port}`,
          headers: { 'X-Scope-OrgID': 'shop' },
          queries: { 'http.server.error_ratio': '', 'queue.depth': 'up' },
        },
      ]);
      await prometheus.fetch(
        {
          serviceName: 'checkout',
          fromMs: Date.now() - 600_000,
          toMs: Date.now(),
          limit: 100,
        },
        { signal: new AbortController().signal },
      );
      const queries = requests.map(r => r.query);
      expect(queries).toContain('up');
      expect(queries).toHaveLength(8);
      expect(
        queries.some(q => q?.includes('http_response_status_code=~"5.."')),
      ).toBe(false);
      expect(requests.every(r => r.tenant === 'shop')).toBe(true);
    } finally {
      server.close();
    }
  });
});
