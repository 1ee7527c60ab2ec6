import { LoggerService } from '@backstage/backend-plugin-api';
import { UNKNOWN_SERVICE_NAME } from '@ai-triage/plugin-ai-triage-common';
import { IncidentStore } from '../database/IncidentStore';
import { EntityResolver } from '../catalog/EntityResolver';

/** Services looked at per run; the next run goes on after the last one. */
const SERVICES_PER_RUN = 500;

/**
 * Links incidents that were stored unlinked (their service was not in the catalog yet, or the
 * catalog was down) once the catalog knows their service, so they move from the unlinked list
 * of the feed to their entity's Incidents tab. Runs as a scheduled task.
 */
export class IncidentLinker {
  /** The last service name the previous run looked at; undefined: start from the first. */
  private cursor?: string;

  static create(options: {
    incidents: IncidentStore;
    entities: EntityResolver;
    logger: LoggerService;
    servicesPerRun?: number;
  }): IncidentLinker {
    return new IncidentLinker(
      options.incidents,
      options.entities,
      options.logger,
      options.servicesPerRun ?? SERVICES_PER_RUN,
    );
  }

  private constructor(
    private readonly incidents: IncidentStore,
    private readonly entities: EntityResolver,
    private readonly logger: LoggerService,
    private readonly servicesPerRun: number,
  ) {}

  /**
   * Looks at the next `servicesPerRun` unlinked services in name order, going round, so that
   * services the catalog does not know never keep later ones from being linked. Returns how
   * many incidents were linked.
   */
  async linkUnlinkedIncidents(): Promise<number> {
    const serviceNames = await this.incidents.listUnlinkedServiceNames(
      this.servicesPerRun,
      this.cursor,
    );
    let linked = 0;
    for (const serviceName of serviceNames) {
      if (serviceName === UNKNOWN_SERVICE_NAME) {
        continue;
      }
      const entityRef = await this.entities.resolve(serviceName);
      if (entityRef) {
        const count = await this.incidents.linkService(serviceName, entityRef);
        if (count > 0) {
          this.logger.info(
            `Linked ${count} incidents of service ${serviceName} to ${entityRef}`,
          );
        }
        linked += count;
      }
    }
    // Advanced only after the whole page (a catalog failure retries it). A short page reached
    // the end: the next run starts from the first name again.
    this.cursor =
      serviceNames.length < this.servicesPerRun
        ? undefined
        : serviceNames.at(-1);
    return linked;
  }
}
