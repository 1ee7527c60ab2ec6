import { createRouteRef } from '@backstage/frontend-plugin-api';
import { Incident } from '@ai-triage/plugin-ai-triage-common';

/**
 * The Triage quality page; its route ref also makes the page a sidebar item.
 *
 * @public
 */
export const triageQualityRouteRef = createRouteRef();

/** The incident feed page; its route ref also makes the page a nav item. */
export const incidentFeedRouteRef = createRouteRef();

/** The path of the Incidents tab under an entity page (`entity-content:ai-triage/incidents`). */
export const INCIDENTS_CONTENT_PATH = '/incidents';

/** The query parameter that holds the selected incident, so a reload shows it again. */
export const INCIDENT_QUERY_PARAM = 'incident';

/** A link to the incident on the current page (`?incident=<id>`). */
export function incidentQueryHref(incident: Incident): string {
  return `?${new URLSearchParams({ [INCIDENT_QUERY_PARAM]: incident.id })}`;
}
