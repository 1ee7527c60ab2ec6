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
import {
  API,
  detailResponse,
  incident,
  listResponse,
  localizedDetailResponse,
  localizedHypotheses,
  localizedIncident,
} from '../../testUtils/fixtures';

// Generous: the incident view is a heavy render, and the machine is shared.
configure({ asyncUtilTimeout: 10_000 });
jest.setTimeout(60_000);

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
    http.get(`${API}/incidents/:id`, ({ params }) =>
      HttpResponse.json(
        detailResponse({
          incident: params.id === unlinked.id ? unlinked : incident,
        }),
      ),
    ),
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
    renderFeed('/ai-triage?group=none');

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

  it('shows one row per fault with its origin, top hypothesis and review state', async () => {
    const detailRequests: string[] = [];
    const listRequests: Record<string, string>[] = [];
    server.use(
      // The backend lists one incident per fault group (here checkout's, not the lead).
      http.get(`${API}/incidents`, ({ request }) => {
        listRequests.push(
          Object.fromEntries(new URL(request.url).searchParams),
        );
        return HttpResponse.json(listResponse([localizedIncident, unlinked]));
      }),
      http.get(`${API}/incidents/:id`, ({ params }) => {
        detailRequests.push(String(params.id));
        if (params.id !== 'inc-7') {
          return HttpResponse.json(
            detailResponse({ incident: unlinked, hypotheses: [] }),
          );
        }
        return HttpResponse.json(
          localizedDetailResponse({
            hypotheses: [
              {
                ...localizedHypotheses[0],
                review: {
                  id: 'r-1',
                  hypothesisId: 'hyp-7',
                  decision: 'accepted',
                  comment: null,
                  modifiedRootCause: null,
                  reviewer: 'user:default/jane',
                  createdAt: '2026-01-10T14:20:00.000Z',
                },
              },
            ],
          }),
        );
      }),
    );
    renderFeed();

    const table = await screen.findByRole('table', { name: /^Faults/ });
    const group = await within(table).findByText(/quota exhausted/);
    const row = group.closest('tr')!;
    expect(row).toHaveTextContent(
      'carrier-api rate-limits shipping: quota exhausted, 47% of calls answered 429 · 0.82',
    );
    // The lead is the group's own lead (shipping), not the first incident listed.
    expect(
      within(row).getByRole('link', { name: 'HighErrorRate on shipping' }),
    ).toBeInTheDocument();
    expect(within(row).getByText('carrier-api')).toBeInTheDocument();
    expect(within(row).getByText('Accepted')).toBeInTheDocument();
    expect(
      within(row).getByText('and 2 more: checkout, storefront'),
    ).toBeInTheDocument();
    // Two rows (and the header): the group and the unlinked incident.
    expect(listRequests[0]).toMatchObject({ groupBy: 'fault' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    const unlinkedRow = within(table)
      .getByRole('link', { name: 'BatchFailed on legacy-batch' })
      .closest('tr')!;
    expect(unlinkedRow).toHaveTextContent('No hypothesis');
    expect(detailRequests.sort()).toEqual(['inc-2', 'inc-7']);

    await userEvent.click(
      within(row).getByRole('button', {
        name: 'Show the 3 incidents of HighErrorRate on shipping',
      }),
    );
    expect(
      within(table).getByRole('link', { name: 'SlowRequests on storefront' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/storefront/incidents?incident=inc-9',
    );
    expect(within(table).getAllByRole('row')).toHaveLength(6);
  });

  it('sorts by a column and keeps the sort in the URL', async () => {
    const low = {
      ...incident,
      id: 'inc-3',
      title: 'Low on checkout',
      faultGroupId: null,
    };
    server.use(
      http.get(`${API}/incidents`, () =>
        HttpResponse.json(listResponse([incident, low])),
      ),
      http.get(`${API}/incidents/:id`, ({ params }) =>
        HttpResponse.json(
          localizedDetailResponse({
            hypotheses: [
              {
                ...localizedHypotheses[0],
                rootCause: `Cause of ${params.id}`,
                probability: params.id === 'inc-3' ? 0.2 : 0.9,
              },
            ],
          }),
        ),
      ),
    );
    renderFeed('/ai-triage?sort=probability&dir=asc');

    const table = await screen.findByRole('table', { name: /^Faults/ });
    await within(table).findByText(/Cause of inc-1/);
    const order = () =>
      within(table)
        .getAllByText(/^Cause of inc-\d/)
        .map(cell => cell.textContent);
    expect(order()).toEqual(['Cause of inc-3 · 0.20', 'Cause of inc-1 · 0.90']);

    // Asked for again, most probable first.
    await userEvent.click(
      within(table).getByRole('button', { name: 'Top hypothesis' }),
    );
    await waitFor(() =>
      expect(order()).toEqual([
        'Cause of inc-1 · 0.90',
        'Cause of inc-3 · 0.20',
      ]),
    );
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
        groupBy: 'fault',
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
      groupBy: 'fault',
      limit: '25',
      offset: '50',
    });
  });
});
