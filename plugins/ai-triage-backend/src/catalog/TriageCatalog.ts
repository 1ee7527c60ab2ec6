import { AuthService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  CatalogEntityAnnotations,
  EntityAnnotations,
} from './CatalogEntityAnnotations';
import { CatalogEntityQuery, EntityQuery } from './CatalogEntityQuery';
import {
  CatalogEntityResolver,
  EntityCacheTtl,
  EntityResolver,
} from './EntityResolver';

/**
 * Every catalog read of the plugin behind one client, all with the plugin's own service
 * credentials: which entity an alerted service is (cached, see {@link CatalogEntityResolver}),
 * an entity's annotations and dependencies, and which entities an owner or a system stands for.
 * Each consumer takes only the interface it reads through.
 */
export class TriageCatalog
  implements EntityResolver, EntityQuery, Required<EntityAnnotations>
{
  static create(options: {
    catalog: CatalogService;
    auth: AuthService;
    /** How long service name lookups are cached (`aiTriage.intake.catalogCache`). */
    ttl?: EntityCacheTtl;
  }): TriageCatalog {
    return new TriageCatalog(
      CatalogEntityResolver.create(options),
      CatalogEntityQuery.create(options),
      CatalogEntityAnnotations.create(options),
    );
  }

  private constructor(
    private readonly entities: CatalogEntityResolver,
    private readonly query: CatalogEntityQuery,
    private readonly annotations: CatalogEntityAnnotations,
  ) {}

  resolve(serviceName: string): Promise<string | null> {
    return this.entities.resolve(serviceName);
  }

  cached(serviceName: string): string | null | undefined {
    return this.entities.cached(serviceName);
  }

  serviceNamesOf(entityRef: string): Promise<string[]> {
    return this.entities.serviceNamesOf(entityRef);
  }

  entityRefsOf(filter: { owner?: string; system?: string }): Promise<string[]> {
    return this.query.entityRefsOf(filter);
  }

  ownersOf(entityRef: string): Promise<string[]> {
    return this.query.ownersOf(entityRef);
  }

  annotationsOf(entityRef: string): Promise<Record<string, string>> {
    return this.annotations.annotationsOf(entityRef);
  }

  dependenciesOf(entityRef: string): Promise<string[]> {
    return this.annotations.dependenciesOf(entityRef);
  }
}
