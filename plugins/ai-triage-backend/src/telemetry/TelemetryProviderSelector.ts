import { TelemetryProvider } from '@ai-triage/plugin-ai-triage-node';
import { TELEMETRY_PROVIDERS_ANNOTATION } from './annotations';

/**
 * Which telemetry providers serve an entity: those its `ai-triage.io/telemetry-providers`
 * annotation names (comma-separated), else every provider that serves all entities (the
 * embedded store, and the configured ones unless `default: false`).
 */
export class TelemetryProviderSelector {
  private readonly byName = new Map<string, TelemetryProvider>();

  /** @throws Error when two providers share a name */
  static create(providers: TelemetryProvider[]): TelemetryProviderSelector {
    return new TelemetryProviderSelector(providers);
  }

  private constructor(private readonly providers: TelemetryProvider[]) {
    for (const provider of providers) {
      if (this.byName.has(provider.name)) {
        throw new Error(
          `Two telemetry providers are named ${provider.name}; give each a unique name`,
        );
      }
      this.byName.set(provider.name, provider);
    }
  }

  /**
   * The providers for an entity's annotations, and the names the annotation gives that no
   * provider has (reported as missing, so a typo shows in the context).
   */
  select(annotations: Record<string, string>): {
    providers: TelemetryProvider[];
    unknown: string[];
  } {
    const named = annotations[TELEMETRY_PROVIDERS_ANNOTATION];
    if (named === undefined || named.trim() === '') {
      return {
        providers: this.providers.filter(p => p.servesAllEntities !== false),
        unknown: [],
      };
    }
    const names = [
      ...new Set(
        named
          .split(',')
          .map(name => name.trim())
          .filter(Boolean),
      ),
    ];
    return {
      providers: names.flatMap(name => this.byName.get(name) ?? []),
      unknown: names.filter(name => !this.byName.has(name)),
    };
  }
}
