import { AuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';

/** Which catalog entities an owner or a system stands for. */
export interface EntityQuery {
  /**
   * The refs of the entities owned by `owner` and (when both are given) part of `system`,
   * read from the catalog's `ownedBy` and `partOf` relations.
   */
  entityRefsOf(filter: { owner?: string; system?: string }): Promise<string[]>;
  /** The refs of the owners of an entity (its `ownedBy` relations); none when it is unknown. */
  ownersOf(entityRef: string): Promise<string[]>;
}

/**
 * Answers owner and system filters from the catalog at request time, so an incident follows its
 * entity when ownership or system membership changes, without re-writing stored incidents.
 */
export class CatalogEntityQuery implements EntityQuery {
  static create(options: {
    catalog: CatalogService;
    auth: AuthService;
  }): CatalogEntityQuery {
    return new CatalogEntityQuery(options.catalog, options.auth);
  }

  private constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
  ) {}

  async ownersOf(entityRef: string): Promise<string[]> {
    const entity = await this.catalog.getEntityByRef(entityRef, {
      credentials: await this.auth.getOwnServiceCredentials(),
    });
    return (entity?.relations ?? [])
      .filter(relation => relation.type === 'ownedBy')
      .map(relation => relation.targetRef);
  }

  async entityRefsOf(filter: {
    owner?: string;
    system?: string;
  }): Promise<string[]> {
    const catalogFilter: Record<string, string> = {};
    if (filter.owner) {
      catalogFilter['relations.ownedBy'] = normalizeRef(
        filter.owner,
        'group',
        'owner',
      );
    }
    if (filter.system) {
      catalogFilter['relations.partOf'] = normalizeRef(
        filter.system,
        'system',
        'system',
      );
    }
    const { items } = await this.catalog.getEntities(
      {
        filter: catalogFilter,
        fields: ['kind', 'metadata.name', 'metadata.namespace'],
      },
      { credentials: await this.auth.getOwnServiceCredentials() },
    );
    return items.map(entity => stringifyEntityRef(entity));
  }
}

/** `team-a` → `group:default/team-a`; a full ref stays as it is (lower-cased, as stored). */
function normalizeRef(ref: string, defaultKind: string, what: string): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, { defaultKind, defaultNamespace: 'default' }),
    ).toLocaleLowerCase('en-US');
  } catch (error) {
    throw new InputError(`Invalid ${what} "${ref}": ${String(error)}`);
  }
}
