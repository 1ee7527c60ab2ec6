import { AuthService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';

/** The annotations of a catalog entity, by its ref. */
export interface EntityAnnotations {
  /** The entity's annotations; {} when the catalog does not know it. */
  annotationsOf(entityRef: string): Promise<Record<string, string>>;
  /**
   * Refs of the entities this one calls by the catalog: its `dependsOn` targets and the
   * providers of the APIs it consumes (`consumesApi`, then the API's `apiProvidedBy`).
   */
  dependenciesOf?(entityRef: string): Promise<string[]>;
}

/** Reads annotations from the catalog with the plugin's own service credentials. */
export class CatalogEntityAnnotations implements EntityAnnotations {
  static create(options: {
    catalog: CatalogService;
    auth: AuthService;
  }): CatalogEntityAnnotations {
    return new CatalogEntityAnnotations(options.catalog, options.auth);
  }

  private constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
  ) {}

  async annotationsOf(entityRef: string): Promise<Record<string, string>> {
    const entity = await this.catalog.getEntityByRef(entityRef, {
      credentials: await this.auth.getOwnServiceCredentials(),
    });
    return entity?.metadata.annotations ?? {};
  }

  async dependenciesOf(entityRef: string): Promise<string[]> {
    const credentials = await this.auth.getOwnServiceCredentials();
    const entity = await this.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    const targets = (type: string, of = entity) =>
      (of?.relations ?? [])
        .filter(relation => relation.type === type)
        .map(relation => relation.targetRef);
    const providers = await Promise.all(
      targets('consumesApi').map(async apiRef =>
        targets(
          'apiProvidedBy',
          await this.catalog.getEntityByRef(apiRef, { credentials }),
        ),
      ),
    );
    return [...new Set([...targets('dependsOn'), ...providers.flat()])].sort();
  }
}
