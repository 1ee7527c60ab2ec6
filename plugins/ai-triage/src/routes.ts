import { createRouteRef } from '@backstage/frontend-plugin-api';

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
