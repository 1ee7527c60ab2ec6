import { createRouteRef } from '@backstage/frontend-plugin-api';

/**
 * The Triage quality page; its route ref also makes the page a sidebar item.
 *
 * @public
 */
export const triageQualityRouteRef = createRouteRef();
