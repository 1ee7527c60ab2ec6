import { TelemetryProvider } from '@ai-triage/plugin-ai-triage-node';
import { TelemetryProviderSelector } from './TelemetryProviderSelector';

function provider(
  name: string,
  servesAllEntities?: boolean,
): TelemetryProvider {
  return { name, servesAllEntities, fetch: async () => ({}) };
}

describe('TelemetryProviderSelector', () => {
  const selector = TelemetryProviderSelector.create([
    provider('embedded'),
    provider('prometheus', true),
    provider('jaeger', false),
  ]);
  const names = (annotations: Record<string, string>) => {
    const { providers, unknown } = selector.select(annotations);
    return { providers: providers.map(p => p.name), unknown };
  };

  it('gives an entity without the annotation every default provider', () => {
    expect(names({})).toEqual({
      providers: ['embedded', 'prometheus'],
      unknown: [],
    });
    expect(names({ 'ai-triage.io/telemetry-providers': ' ' })).toEqual({
      providers: ['embedded', 'prometheus'],
      unknown: [],
    });
  });

  it('gives an annotated entity exactly the providers it names, and the names nobody has', () => {
    expect(
      names({ 'ai-triage.io/telemetry-providers': 'jaeger, nope,jaeger' }),
    ).toEqual({ providers: ['jaeger'], unknown: ['nope'] });
  });

  it('refuses two providers of one name', () => {
    expect(() =>
      TelemetryProviderSelector.create([provider('loki'), provider('loki')]),
    ).toThrow(
      'Two telemetry providers are named loki; give each a unique name',
    );
  });
});
