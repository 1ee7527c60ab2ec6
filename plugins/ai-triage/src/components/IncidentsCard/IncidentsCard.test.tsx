import {
  registerMswTestHooks,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { configure, screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { aiTriageApi, aiTriageIncidentsEntityCard } from '../../plugin';
import {
  API,
  detailResponse,
  entity,
  incident,
  listResponse,
} from '../../testUtils/fixtures';

configure({ asyncUtilTimeout: 5000 });

const server = setupServer();
registerMswTestHooks(server);

function renderCard() {
  renderTestApp({
    extensions: [
      createTestEntityPage({ entity }),
      aiTriageApi,
      aiTriageIncidentsEntityCard,
    ],
  });
}

describe('IncidentsCard', () => {
  it('shows the open incident count and the top hypothesis', async () => {
    const requests: Record<string, string>[] = [];
    server.use(
      http.get(`${API}/incidents`, ({ request }) => {
        requests.push(Object.fromEntries(new URL(request.url).searchParams));
        return HttpResponse.json(
          listResponse([incident], { totalCount: 3, limit: 1 }),
        );
      }),
      http.get(`${API}/incidents/inc-1`, () => {
        return HttpResponse.json(detailResponse({ alerts: [] }));
      }),
    );
    renderCard();

    expect(await screen.findByText('3')).toBeInTheDocument();
    expect(screen.getByText('open incidents')).toBeInTheDocument();
    expect(
      await screen.findByText(
        /Top hypothesis \(high confidence\): The payments-db connection pool is exhausted/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'HighErrorRate on checkout' }),
    ).toHaveAttribute(
      'href',
      expect.stringMatching(/\/incidents\?incident=inc-1$/),
    );
    expect(requests[0]).toEqual({
      entityRef: 'component:default/checkout',
      status: 'open,acknowledged',
      limit: '1',
    });
  });

  it('shows zero without asking for an incident when none is open', async () => {
    server.use(
      http.get(`${API}/incidents`, () =>
        HttpResponse.json(listResponse([], { limit: 1 })),
      ),
    );
    renderCard();

    expect(await screen.findByText('0')).toBeInTheDocument();
    expect(screen.getByText('open incidents')).toBeInTheDocument();
  });
});
