import {
  ApiBlueprint,
  coreApis,
  createFrontendPlugin,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { AiTriageClient, aiTriageApiRef } from './api';

/** @public */
export const aiTriageApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: aiTriageApiRef,
      deps: { discoveryApi: coreApis.discovery, fetchApi: coreApis.fetch },
      factory: ({ discoveryApi, fetchApi }) =>
        new AiTriageClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The Incidents tab on component pages (`entity-content:ai-triage/incidents`).
 *
 * @public
 */
export const aiTriageIncidentsEntityContent = EntityContentBlueprint.make({
  name: 'incidents',
  params: {
    path: '/incidents',
    title: 'Incidents',
    group: 'operation',
    filter: { kind: 'component' },
    loader: () =>
      import('./components/IncidentsTab').then(m => <m.IncidentsTab />),
  },
});

/**
 * AI triage: incidents with their alerts, telemetry context and reviewable root-cause
 * hypotheses, on the pages of the services they affect.
 *
 * @public
 */
export const aiTriagePlugin = createFrontendPlugin({
  pluginId: 'ai-triage',
  title: 'AI Triage',
  info: { packageJson: () => import('../package.json') },
  extensions: [aiTriageApi, aiTriageIncidentsEntityContent],
});
