import { AuthService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AI_TRIAGE_SERVICE_NAME_ANNOTATION } from '@ai-triage/plugin-ai-triage-common';

/** Maps an OpenTelemetry `service.name` to a catalog entity, and back. */
export interface EntityResolver {
  /** The entity ref of the service, or null when the catalog knows none. */
  resolve(serviceName: string): Promise<string | null>;
  /** The service names an entity stands for (its annotation, else its name). */
  serviceNamesOf(entityRef: string): Promise<string[]>;
}

const FOUND_TTL_MS = 60_000;
const NOT_FOUND_TTL_MS = 10_000;

/**
 * Resolves through the catalog: the component whose `opentelemetry.io/service-name` annotation
 * equals the service name, else the component named like the service. Answers are cached for a
 * minute (a miss for ten seconds, so a service added to the catalog is picked up soon).
 */
export class CatalogEntityResolver implements EntityResolver {
  private readonly cache = new Map<
    string,
    { value: string | null; expiresAt: number }
  >();

  static create(options: {
    catalog: CatalogService;
    auth: AuthService;
  }): CatalogEntityResolver {
    return new CatalogEntityResolver(options.catalog, options.auth);
  }

  private constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
  ) {}

  async resolve(serviceName: string): Promise<string | null> {
    const cached = this.cache.get(serviceName);
    if (cached && cached.expiresAt > Date.now()) {
      return cached.value;
    }
    const value = await this.lookup(serviceName);
    this.cache.set(serviceName, {
      value,
      expiresAt: Date.now() + (value ? FOUND_TTL_MS : NOT_FOUND_TTL_MS),
    });
    return value;
  }

  async serviceNamesOf(entityRef: string): Promise<string[]> {
    const entity = await this.catalog.getEntityByRef(entityRef, {
      credentials: await this.auth.getOwnServiceCredentials(),
    });
    if (!entity) {
      return [];
    }
    const annotated =
      entity.metadata.annotations?.[AI_TRIAGE_SERVICE_NAME_ANNOTATION];
    return [annotated ?? entity.metadata.name];
  }

  private async lookup(serviceName: string): Promise<string | null> {
    const credentials = await this.auth.getOwnServiceCredentials();
    const annotated = await this.catalog.getEntities(
      {
        filter: {
          kind: 'Component',
          [`metadata.annotations.${AI_TRIAGE_SERVICE_NAME_ANNOTATION}`]:
            serviceName,
        },
        fields: ['kind', 'metadata.name', 'metadata.namespace'],
      },
      { credentials },
    );
    const byName =
      annotated.items.length > 0
        ? annotated.items
        : (
            await this.catalog.getEntities(
              {
                filter: { kind: 'Component', 'metadata.name': serviceName },
                fields: ['kind', 'metadata.name', 'metadata.namespace'],
              },
              { credentials },
            )
          ).items;
    return byName.length > 0 ? stringifyEntityRef(byName[0]) : null;
  }
}
