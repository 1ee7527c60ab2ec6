import { AuthService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';

/** The annotations of a catalog entity, by its ref. */
export interface EntityAnnotations {
  /** The entity's annotations; {} when the catalog does not know it. */
  annotationsOf(entityRef: string): Promise<Record<string, string>>;
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
}
