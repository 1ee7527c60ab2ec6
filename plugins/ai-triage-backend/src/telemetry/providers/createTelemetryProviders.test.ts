import { ConfigReader } from '@backstage/config';
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
      'aiTriage.telemetry.providers[0].baseUrl is not an http(s) URL: loki:3100/',
    ],
    [
      { type: 'loki', baseUrl: 'http://loki', timeoutSeconds: 0 },
      'aiTriage.telemetry.providers[0].timeoutSeconds must be a positive number',
    ],
  ])('refuses %j', (entry, message) => {
    expect(() => providersOf([entry])).toThrow(message);
  });
});
