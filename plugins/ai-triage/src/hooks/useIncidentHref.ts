import { Incident } from '@ai-triage/plugin-ai-triage-common';
import { useEntityRefLink } from '@backstage/plugin-catalog-react';
import { INCIDENTS_CONTENT_PATH, incidentQueryHref } from '../routes';

/**
 * The href of an incident: its entity's Incidents tab (the catalog's entity route ref, then the
 * tab's path as plugin.tsx mounts it), or the current page for incidents without an entity.
 */
export function useIncidentHref(): (incident: Incident) => string {
  const entityLink = useEntityRefLink();
  return incident =>
    incident.entityRef
      ? `${entityLink(incident.entityRef).replace(
          /\/$/,
          '',
        )}${INCIDENTS_CONTENT_PATH}${incidentQueryHref(incident)}`
      : incidentQueryHref(incident);
}
