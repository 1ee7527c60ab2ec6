import { LoggerService } from '@backstage/backend-plugin-api';
import { UNKNOWN_SERVICE_NAME } from '@ai-triage/plugin-ai-triage-common';
import { IncidentStore } from '../database/IncidentStore';
import { EntityResolver } from './EntityResolver';

/** Services looked at per run; the rest wait for the next run. */
const SERVICES_PER_RUN = 500;

/**
 * Links incidents that were stored unlinked (their service was not in the catalog yet, or the
 * catalog was down) once the catalog knows their service, so they move from the unlinked list
 * of the feed to their entity's Incidents tab. Runs as a scheduled task.
 */
export class IncidentLinker {
  static create(options: {
    incidents: IncidentStore;
    entities: EntityResolver;
    logger: LoggerService;
  }): IncidentLinker {
    return new IncidentLinker(
      options.incidents,
      options.entities,
      options.logger,
    );
  }

  private constructor(
    private readonly incidents: IncidentStore,
    private readonly entities: EntityResolver,
    private readonly logger: LoggerService,
  ) {}

  /** Returns how many incidents were linked. */
  async linkUnlinkedIncidents(): Promise<number> {
    const serviceNames = await this.incidents.listUnlinkedServiceNames(
      SERVICES_PER_RUN,
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
    return linked;
  }
}
