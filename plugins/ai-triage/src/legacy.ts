/**
 * The AI triage plugin for apps on the legacy frontend system (`createApp` from
 * `@backstage/app-defaults`). Apps on the new frontend system use the default export instead.
 *
 * ```tsx
 * import { EntityAiTriageContent, EntityAiTriageCard } from '@ai-triage/plugin-ai-triage/legacy';
 *
 * <EntityLayout.Route path="/incidents" title="Incidents">
 *   <EntityAiTriageContent />
 * </EntityLayout.Route>
 * ```
 *
 * @packageDocumentation
 */
import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { AiTriageClient, aiTriageApiRef } from './api';

const entityContentRouteRef = createRouteRef({
  id: 'ai-triage:entity-content',
});
const feedRouteRef = createRouteRef({ id: 'ai-triage:feed' });

/** @public */
export const aiTriageLegacyPlugin = createPlugin({
  id: 'ai-triage',
  apis: [
    createApiFactory({
      api: aiTriageApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new AiTriageClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { entityContent: entityContentRouteRef, feed: feedRouteRef },
});

/**
 * The Incidents tab, for `<EntityLayout.Route path="/incidents">` on component pages.
 *
 * @public
 */
export const EntityAiTriageContent = aiTriageLegacyPlugin.provide(
  createRoutableExtension({
    name: 'EntityAiTriageContent',
    component: () =>
      import('./components/IncidentsTab').then(m => m.IncidentsTab),
    mountPoint: entityContentRouteRef,
  }),
);

/**
 * The open-incident card, for the overview tab of component pages.
 *
 * @public
 */
export const EntityAiTriageCard = aiTriageLegacyPlugin.provide(
  createComponentExtension({
    name: 'EntityAiTriageCard',
    component: {
      lazy: () =>
        import('./components/IncidentsCard').then(m => m.IncidentsCard),
    },
  }),
);

/**
 * The incident feed page, for `<Route path="/ai-triage">` in the app's routes.
 *
 * @public
 */
export const AiTriageIncidentFeedPage = aiTriageLegacyPlugin.provide(
  createRoutableExtension({
    name: 'AiTriageIncidentFeedPage',
    component: () =>
      import('./components/IncidentFeed').then(m => m.IncidentFeedPage),
    mountPoint: feedRouteRef,
  }),
);
