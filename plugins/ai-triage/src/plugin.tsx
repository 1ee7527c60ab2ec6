import {
  ApiBlueprint,
  PageBlueprint,
  coreApis,
  createFrontendPlugin,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import ReportProblemIcon from '@material-ui/icons/ReportProblem';
import AssessmentIcon from '@material-ui/icons/Assessment';
import { AiTriageClient, aiTriageApiRef } from './api';
import {
  INCIDENTS_CONTENT_PATH,
  incidentFeedRouteRef,
  triageQualityRouteRef,
} from './routes';

export { triageQualityRouteRef } from './routes';

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
    path: INCIDENTS_CONTENT_PATH,
    title: 'Incidents',
    group: 'operation',
    filter: { kind: 'component' },
    loader: () =>
      import('./components/IncidentsTab').then(m => <m.IncidentsTab />),
  },
});

/**
 * The open-incident card on component overview pages (`entity-card:ai-triage/incidents`).
 *
 * @public
 */
export const aiTriageIncidentsEntityCard = EntityCardBlueprint.make({
  name: 'incidents',
  params: {
    filter: { kind: 'component' },
    loader: () =>
      import('./components/IncidentsCard').then(m => <m.IncidentsCard />),
  },
});

/**
 * The incident feed across the catalog (`page:ai-triage`, at `/ai-triage`, with a nav item).
 *
 * @public
 */
export const aiTriageIncidentFeedPage = PageBlueprint.make({
  params: {
    path: '/ai-triage',
    routeRef: incidentFeedRouteRef,
    title: 'Incidents',
    icon: <ReportProblemIcon />,
    loader: () =>
      import('./components/IncidentFeed').then(m => <m.IncidentFeedPage />),
  },
});

/**
 * Triage quality: review outcomes and calibration per reasoner, model and prompt version
 * (`page:ai-triage/quality`, at `/ai-triage-quality`). Its route ref and icon make it a
 * sidebar item; link to it with `useRouteRef(triageQualityRouteRef)`.
 *
 * @public
 */
export const aiTriageQualityPage = PageBlueprint.make({
  name: 'quality',
  params: {
    path: '/ai-triage-quality',
    routeRef: triageQualityRouteRef,
    title: 'Triage quality',
    icon: <AssessmentIcon />,
    loader: () =>
      import('./components/TriageQuality').then(m => <m.TriageQualityPage />),
  },
});

/**
 * AI triage: incidents with their alerts, telemetry context and reviewable root-cause
 * hypotheses, on the pages of the services they affect and in one feed.
 *
 * @public
 */
export const aiTriagePlugin = createFrontendPlugin({
  pluginId: 'ai-triage',
  title: 'AI Triage',
  icon: <ReportProblemIcon />,
  info: { packageJson: () => import('../package.json') },
  routes: {
    incidentFeed: incidentFeedRouteRef,
    triageQuality: triageQualityRouteRef,
  },
  extensions: [
    aiTriageApi,
    aiTriageIncidentsEntityContent,
    aiTriageIncidentsEntityCard,
    aiTriageIncidentFeedPage,
    aiTriageQualityPage,
  ],
});
