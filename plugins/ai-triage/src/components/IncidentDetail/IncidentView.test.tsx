import {
  mockApis,
  registerMswTestHooks,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import { AiTriageClient, aiTriageApiRef } from '../../api';
import { formatClock } from '../../format';
import {
  API,
  detailResponse,
  localizedDetailResponse,
} from '../../testUtils/fixtures';
import { IncidentDetail } from './IncidentDetail';

// Generous: the incident view is a heavy render, and the machine is shared.
configure({ asyncUtilTimeout: 10_000 });
jest.setTimeout(60_000);

const server = setupServer();
registerMswTestHooks(server);

const client = new AiTriageClient({
  discoveryApi: { getBaseUrl: async id => `http://localhost:7007/api/${id}` },
  fetchApi: { fetch: (input, init) => fetch(input, init) },
});

function serve(detail: IncidentDetailResponse) {
  const posted: Array<{ hypothesisId: string; body: unknown }> = [];
  server.use(
    http.get(`${API}/incidents/${detail.incident.id}`, () =>
      HttpResponse.json(detail),
    ),
    http.post(
      `${API}/incidents/${detail.incident.id}/hypotheses/:hypothesisId/reviews`,
      async ({ request, params }) => {
        posted.push({
          hypothesisId: String(params.hypothesisId),
          body: await request.json(),
        });
        return HttpResponse.json({}, { status: 201 });
      },
    ),
  );
  return posted;
}

function renderView(incidentId: string) {
  return renderInTestApp(
    <IncidentDetail incidentId={incidentId} onClose={jest.fn()} />,
    {
      apis: [
        mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
        [aiTriageApiRef, client],
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

const onsetClock = formatClock('2026-01-10T14:02:00.000Z');

describe('the incident view of a localized incident', () => {
  it('leads with the origin, the kind, since when and how likely, reviewable in place', async () => {
    const posted = serve(localizedDetailResponse());
    await renderView('inc-7');

    const headline = await screen.findByRole('region', { name: 'Headline' });
    expect(
      within(headline).getByText(
        `carrier-api rate-limits shipping since ${onsetClock} · 0.82`,
      ),
    ).toBeInTheDocument();
    expect(within(headline).getByText(/Kind: rate-limit/)).toBeInTheDocument();

    await userEvent.click(
      within(headline).getByRole('button', {
        name: 'Accept top hypothesis',
      }),
    );
    await waitFor(() =>
      expect(posted).toEqual([
        { hypothesisId: 'hyp-7', body: { decision: 'accepted' } },
      ]),
    );
  });

  it('draws the services with the origin highlighted and changed calls marked', async () => {
    serve(localizedDetailResponse());
    await renderView('inc-7');
    const origin = await screen.findByRole(
      'link',
      {
        name: /^carrier-api probable origin · 2 hops, also on the path: open its catalog page$/,
      },
      // The graph is loaded lazily and shown once laid out.
      { timeout: 15_000 },
    );
    expect(origin).toHaveAttribute('data-origin', 'true');
    expect(origin).toHaveAttribute(
      'href',
      '/catalog/default/component/carrier-api',
    );
    const alerted = screen.getByRole('link', {
      name: /^checkout alerted service/,
    });
    expect(alerted).toHaveAttribute('data-origin', 'false');
    // The group's other incident's service is on the map; an unchanged neighbour is not.
    expect(
      screen.getByRole('link', { name: /^storefront related incident/ }),
    ).toBeInTheDocument();
    expect(
      document.querySelector('[data-service="payments"]'),
    ).not.toBeInTheDocument();

    const edge = (name: string) =>
      document.querySelector(`[data-edge="${name}"]`);
    await waitFor(() =>
      expect(edge('shipping->carrier-api')).toHaveAttribute(
        'data-changed',
        'errors',
      ),
    );
    expect(edge('shipping->carrier-api')).toHaveTextContent(
      'errors 0.1% → 47%',
    );
    expect(edge('checkout->shipping')).toHaveAttribute(
      'data-changed',
      'latency errors',
    );
    expect(edge('checkout->shipping')).toHaveTextContent('p95 210 ms → 1.9 s');
  });

  it('marks the onset on the timeline, after the shaded baseline', async () => {
    serve(localizedDetailResponse());
    await renderView('inc-7');

    const timeline = await screen.findByRole('group', { name: /^Timeline/ });
    const onset = within(timeline).getByRole('img', {
      name: `Onset at ${onsetClock}`,
    });
    const baseline = within(timeline).getByRole('img', { name: /^Baseline/ });
    const baselineRect = baseline.querySelector('rect')!;
    const baselineEnd =
      Number(baselineRect.getAttribute('x')) +
      Number(baselineRect.getAttribute('width'));
    // The baseline is the healthy half hour just before the onset.
    expect(Number(onset.getAttribute('data-x'))).toBeCloseTo(baselineEnd, 0);
    expect(
      within(timeline).getByRole('img', { name: /^Alert HighErrorRate/ }),
    ).toBeInTheDocument();
    expect(
      within(timeline).getByRole('img', { name: /^deploy of shipping/ }),
    ).toBeInTheDocument();
    expect(
      within(timeline).getByRole('img', {
        name: /^carrier-api: http_server_responses_429/,
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByText(`Onset ${onsetClock} (change point on errors)`),
    ).toBeInTheDocument();
  });

  it('shows evidence on demand, with long templates cut', async () => {
    serve(localizedDetailResponse());
    await renderView('inc-7');

    const section = await screen.findByRole('region', {
      name: /carrier-api rate-limits shipping: quota exhausted/,
    });
    expect(
      section.querySelector('[data-cited-evidence-id]'),
    ).not.toBeInTheDocument();
    const toggle = within(section).getByRole('button', {
      name: 'Evidence (3)',
    });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(toggle);

    const log = section.querySelector(
      '[data-cited-evidence-id="log:carrier-api:1"]',
    ) as HTMLElement;
    expect(log).toHaveTextContent('new since the baseline');
    expect(log).not.toHaveTextContent('quota '.repeat(40).trim());
    await userEvent.click(
      within(log).getByRole('button', { name: /^Show all \d+ characters$/ }),
    );
    expect(log).toHaveTextContent('quota '.repeat(40).trim());
    expect(
      section.querySelector('[data-cited-evidence-id="dep:shipping"]'),
    ).toHaveTextContent('Calls to shipping');
  });

  it('lists the fault group’s other incidents with links to them', async () => {
    serve(localizedDetailResponse());
    await renderView('inc-7');

    const list = await screen.findByRole('list', { name: 'Related incidents' });
    expect(
      within(list).getByRole('link', { name: 'HighErrorRate on shipping' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/shipping/incidents?incident=inc-8',
    );
    expect(within(list).getByText(/shipping · lead/)).toBeInTheDocument();
    expect(
      screen.getByText(/One fault, 3 incidents: probable origin carrier-api/),
    ).toBeInTheDocument();
  });
});

describe('the incident view of a context made before localization', () => {
  it('says the root cause and maps the alerted service with its dependencies', async () => {
    serve(detailResponse());
    await renderView('inc-1');

    const headline = await screen.findByRole('region', { name: 'Headline' });
    expect(headline).toHaveTextContent(
      'The payments-db connection pool is exhausted since',
    );
    expect(
      await screen.findByRole(
        'img',
        { name: /^payments-db on the path \(not in the catalog\)$/ },
        { timeout: 15_000 },
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('img', { name: /^Onset/ }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('list', { name: 'Related incidents' }),
    ).not.toBeInTheDocument();
  });
});
