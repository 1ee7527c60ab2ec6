import { AuthService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AI_TRIAGE_SERVICE_NAME_ANNOTATION } from '@ai-triage/plugin-ai-triage-common';

/** Maps an OpenTelemetry `service.name` to a catalog entity, and back. */
export interface EntityResolver {
  /** The entity ref of the service, or null when the catalog knows none. */
  resolve(serviceName: string): Promise<string | null>;
  /**
   * The answer a cache holds for the service, without waiting on the catalog: the entity ref,
   * null for a known miss, undefined when there is no fresh answer (then ask `resolve`).
   */
  cached?(serviceName: string): string | null | undefined;
  /** The service names an entity stands for (its annotation, else its name). */
  serviceNamesOf(entityRef: string): Promise<string[]>;
}

/** How long answers are cached: a found entity, and a miss (shorter, so a new annotation is seen soon). */
export type EntityCacheTtl = { foundMs: number; notFoundMs: number };

export const DEFAULT_ENTITY_CACHE_TTL: EntityCacheTtl = {
  foundMs: 60_000,
  notFoundMs: 10_000,
};

/**
 * How long one catalog lookup may take. A catalog that hangs must not hold up the intake: the
 * lookup fails, and the alert is stored unlinked (and linked later by the IncidentLinker).
 */
const DEFAULT_LOOKUP_TIMEOUT_MS = 5_000;

/** Bounds the cache when a storm names many services. */
const MAX_CACHED_SERVICES = 10_000;

/**
 * Resolves through the catalog: the component whose `opentelemetry.io/service-name` annotation
 * equals the service name, else the component named like the service. Answers are cached and
 * looked up again once their time is up, so an entity annotated, renamed or removed later is
 * followed; one lookup per service runs at a time however many deliveries ask. Failed lookups
 * are not cached.
 */
export class CatalogEntityResolver implements EntityResolver {
  private readonly cache = new Map<
    string,
    { value: Promise<string | null>; expiresAt: number; ref?: string | null }
  >();

  static create(options: {
    catalog: CatalogService;
    auth: AuthService;
    ttl?: EntityCacheTtl;
    lookupTimeoutMs?: number;
    now?: () => number;
  }): CatalogEntityResolver {
    return new CatalogEntityResolver(
      options.catalog,
      options.auth,
      options.ttl ?? DEFAULT_ENTITY_CACHE_TTL,
      options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS,
      options.now ?? Date.now,
    );
  }

  private constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly ttl: EntityCacheTtl,
    private readonly lookupTimeoutMs: number,
    private readonly now: () => number,
  ) {}

  cached(serviceName: string): string | null | undefined {
    const entry = this.cache.get(serviceName);
    return entry && entry.expiresAt > this.now() ? entry.ref : undefined;
  }

  async resolve(serviceName: string): Promise<string | null> {
    const cached = this.cache.get(serviceName);
    if (cached && cached.expiresAt > this.now()) {
      return cached.value;
    }
    const value = this.lookupWithTimeout(serviceName);
    // Until the lookup settles, concurrent callers share it.
    const entry: {
      value: typeof value;
      expiresAt: number;
      ref?: string | null;
    } = { value, expiresAt: Infinity };
    this.cache.delete(serviceName);
    this.cache.set(serviceName, entry);
    if (this.cache.size > MAX_CACHED_SERVICES) {
      // Maps keep insertion order: the first key is the oldest entry.
      this.cache.delete(this.cache.keys().next().value!);
    }
    try {
      const ref = await value;
      entry.ref = ref;
      entry.expiresAt =
        this.now() + (ref ? this.ttl.foundMs : this.ttl.notFoundMs);
      return ref;
    } catch (error) {
      if (this.cache.get(serviceName) === entry) {
        this.cache.delete(serviceName);
      }
      throw error;
    }
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

  private async lookupWithTimeout(serviceName: string): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `Catalog lookup of service ${serviceName} timed out after ${this.lookupTimeoutMs} ms`,
            ),
          ),
        this.lookupTimeoutMs,
      );
      timer.unref?.();
    });
    try {
      return await Promise.race([this.lookup(serviceName), timeout]);
    } finally {
      clearTimeout(timer);
    }
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
