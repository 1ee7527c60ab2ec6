import {
  mockApis,
  registerMswTestHooks,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { aiTriageApi, aiTriageIncidentFeedPage } from '../../plugin';
import { API, incident, listResponse } from '../../testUtils/fixtures';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30_000);

const server = setupServer();
registerMswTestHooks(server);

const catalogEntities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'team-checkout', namespace: 'default' },
    spec: { type: 'team', children: [] },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: 'shop', namespace: 'default' },
    spec: { owner: 'team-checkout' },
  },
];

const unlinked = {
  ...incident,
  id: 'inc-2',
  title: 'BatchFailed on legacy-batch',
  entityRef: null,
  serviceName: 'legacy-batch',
};

/** Serves the feed, answering unlinked-only queries with the unlinked incident. */
function serveFeed() {
  const requests: Record<string, string>[] = [];
  server.use(
    http.get(`${API}/incidents`, ({ request }) => {
      const params = Object.fromEntries(new URL(request.url).searchParams);
      requests.push(params);
      return HttpResponse.json(
        listResponse(params.unlinked ? [unlinked] : [incident, unlinked]),
      );
    }),
  );
  return requests;
}

function renderFeed(initialRoute = '/ai-triage') {
  renderTestApp({
    extensions: [aiTriageApi, aiTriageIncidentFeedPage],
    apis: [
      catalogApiMock({ entities: catalogEntities }),
      mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
    ],
    mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    initialRouteEntries: [initialRoute],
  });
}

describe('IncidentFeedPage', () => {
  it('lists incidents across the catalog, linking each to its entity tab', async () => {
    const requests = serveFeed();
    renderFeed();

    const link = await screen.findByRole('link', {
      name: 'HighErrorRate on checkout',
    });
    expect(link).toHaveAttribute(
      'href',
      '/catalog/default/component/checkout/incidents?incident=inc-1',
    );
    expect(
      screen.getByRole('link', { name: 'BatchFailed on legacy-batch' }),
    ).toHaveAttribute('href', '/ai-triage?incident=inc-2');
    expect(screen.getByText('legacy-batch (unlinked)')).toBeInTheDocument();
    expect(requests[0]).toEqual({ limit: '25', offset: '0' });
  });

  it('filters by owner, severity and unlinked incidents through the API', async () => {
    const requests = serveFeed();
    renderFeed();
    await screen.findByText('HighErrorRate on checkout');

    const filters = screen.getByRole('search');
    await userEvent.click(
      within(filters).getByRole('button', { name: /Owner/ }),
    );
    await userEvent.click(
      await screen.findByRole('option', {
        name: 'group:default/team-checkout',
      }),
    );
    await waitFor(() =>
      expect(requests.at(-1)).toMatchObject({
        owner: 'group:default/team-checkout',
      }),
    );

    await userEvent.click(
      within(filters).getByRole('button', { name: /Severity/ }),
    );
    await userEvent.click(
      await screen.findByRole('option', { name: 'critical' }),
    );
    await waitFor(() =>
      expect(requests.at(-1)).toMatchObject({
        owner: 'group:default/team-checkout',
        severity: 'critical',
      }),
    );

    await userEvent.click(
      within(filters).getByRole('checkbox', { name: 'Unlinked only' }),
    );
    await waitFor(() =>
      expect(requests.at(-1)).toEqual({
        severity: 'critical',
        unlinked: 'true',
        limit: '25',
        offset: '0',
      }),
    );
    await waitFor(() =>
      expect(
        screen.queryByText('HighErrorRate on checkout'),
      ).not.toBeInTheDocument(),
    );
    expect(
      within(screen.getByRole('table')).getByText(
        'BatchFailed on legacy-batch',
      ),
    ).toBeInTheDocument();
  });

  it('takes its filters from the URL', async () => {
    const requests = serveFeed();
    renderFeed('/ai-triage?system=system:default/shop&status=open&page=2');

    await screen.findByText('HighErrorRate on checkout');
    expect(requests[0]).toEqual({
      system: 'system:default/shop',
      status: 'open',
      limit: '25',
      offset: '50',
    });
  });
});
