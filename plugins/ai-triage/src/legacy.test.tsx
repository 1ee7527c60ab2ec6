import {
  MockPermissionApi,
  TestApiProvider,
  registerMswTestHooks,
  renderInTestApp,
} from '@backstage/test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { configure, screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { Route, Routes } from 'react-router-dom';
import { AiTriageClient, aiTriageApiRef } from './api';
import {
  EntityAiTriageCard,
  EntityAiTriageContent,
  aiTriageLegacyPlugin,
} from './legacy';
import {
  API,
  detailResponse,
  entity,
  incident,
  listResponse,
} from './testUtils/fixtures';

configure({ asyncUtilTimeout: 5000 });

const server = setupServer();
registerMswTestHooks(server);

/** The real client against msw, as a legacy app's API factory would build it. */
const client = new AiTriageClient({
  discoveryApi: { getBaseUrl: async id => `http://localhost:7007/api/${id}` },
  fetchApi: { fetch: (input, init) => fetch(input, init) },
});

describe('legacy frontend system exports', () => {
  it('is a legacy plugin with the same id', () => {
    expect(aiTriageLegacyPlugin.getId()).toBe('ai-triage');
    expect(aiTriageLegacyPlugin.getApis()).toEqual([
      expect.objectContaining({ api: aiTriageApiRef }),
    ]);
    expect([...aiTriageLegacyPlugin.getApis()][0].deps).toEqual({
      discoveryApi: discoveryApiRef,
      fetchApi: fetchApiRef,
    });
  });

  it('renders the Incidents tab and the card in a legacy app', async () => {
    server.use(
      http.get(`${API}/incidents`, () =>
        HttpResponse.json(listResponse([incident])),
      ),
      http.get(`${API}/incidents/inc-1`, () =>
        HttpResponse.json(
          detailResponse({ alerts: [], context: null, hypotheses: [] }),
        ),
      ),
    );
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [aiTriageApiRef, client],
          [permissionApiRef, new MockPermissionApi()],
        ]}
      >
        <EntityProvider entity={entity}>
          <EntityAiTriageCard />
          <Routes>
            <Route path="/incidents" element={<EntityAiTriageContent />} />
          </Routes>
        </EntityProvider>
      </TestApiProvider>,
      {
        routeEntries: ['/incidents'],
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      },
    );

    expect(
      (await screen.findAllByText('HighErrorRate on checkout')).length,
    ).toBeGreaterThan(1);
    expect(screen.getByText('open incident')).toBeInTheDocument();
  });
});
