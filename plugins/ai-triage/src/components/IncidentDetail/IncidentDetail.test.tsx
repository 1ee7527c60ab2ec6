import {
  mockApis,
  registerMswTestHooks,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { configure, screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { AiTriageClient, aiTriageApiRef } from '../../api';
import { API, detailResponse } from '../../testUtils/fixtures';
import { IncidentDetail } from './IncidentDetail';

configure({ asyncUtilTimeout: 5000 });

const server = setupServer();
registerMswTestHooks(server);

// usePermission caches answers for the whole module (SWR), so this file tests the denied answer.
const permissionApi = mockApis.permission({ authorize: AuthorizeResult.DENY });

const client = new AiTriageClient({
  discoveryApi: { getBaseUrl: async id => `http://localhost:7007/api/${id}` },
  fetchApi: { fetch: (input, init) => fetch(input, init) },
});

function renderDetail() {
  return renderInTestApp(
    <IncidentDetail incidentId="inc-1" onClose={jest.fn()} />,
    {
      apis: [permissionApi, [aiTriageApiRef, client]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

describe('IncidentDetail without the review permission', () => {
  it('hides re-triage and disables the review actions', async () => {
    server.use(
      http.get(`${API}/incidents/inc-1`, () => {
        return HttpResponse.json(detailResponse());
      }),
    );
    await renderDetail();

    expect(
      await screen.findByText(
        'You do not have permission to review hypotheses.',
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Accept' })).toBeDisabled();
    expect(
      screen.queryByRole('button', { name: 'Re-triage' }),
    ).not.toBeInTheDocument();
  });

  it('says so when reading the incident is not allowed', async () => {
    server.use(
      http.get(`${API}/incidents/inc-1`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message: 'Missing permission ai-triage.incident.read',
            },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    await renderDetail();

    expect(
      (await screen.findAllByText(/Missing permission ai-triage.incident.read/))
        .length,
    ).toBeGreaterThan(0);
    expect(screen.queryByText('Hypotheses')).not.toBeInTheDocument();
  });
});
