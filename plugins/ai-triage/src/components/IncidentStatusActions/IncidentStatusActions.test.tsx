import {
  mockApis,
  registerMswTestHooks,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import { configure, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { AiTriageClient, aiTriageApiRef } from '../../api';
import { API, detailResponse } from '../../testUtils/fixtures';
import { IncidentDetail } from '../IncidentDetail/IncidentDetail';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30_000);

const server = setupServer();
registerMswTestHooks(server);

const client = new AiTriageClient({
  discoveryApi: { getBaseUrl: async id => `http://localhost:7007/api/${id}` },
  fetchApi: { fetch: (input, init) => fetch(input, init) },
});

describe('IncidentStatusActions in the incident view', () => {
  it('acknowledges the incident and shows the current root cause with who set the status', async () => {
    let detail: IncidentDetailResponse = detailResponse();
    const posted: unknown[] = [];
    server.use(
      http.get(`${API}/incidents/inc-1`, () => HttpResponse.json(detail)),
      http.post(`${API}/incidents/inc-1/status`, async ({ request }) => {
        const body = (await request.json()) as { status: 'acknowledged' };
        posted.push(body);
        const workflow = {
          statusChangedBy: 'user:default/guest',
          statusChangedAt: '2026-12-06T10:00:00.000Z',
          ticket: null,
          currentRootCause: {
            hypothesisId: 'h1',
            decision: 'accepted' as const,
            rootCause: 'payments pool exhausted',
            diagnosticSteps: ['Check the pool size'],
            evidenceIds: ['dep:payments'],
            reviewer: 'user:default/guest',
            reviewedAt: '2026-12-06T09:59:00.000Z',
          },
        };
        detail = {
          ...detail,
          incident: { ...detail.incident, status: body.status },
          workflow,
        };
        return HttpResponse.json({ incident: detail.incident, workflow });
      }),
    );
    await renderInTestApp(
      <IncidentDetail incidentId="inc-1" onClose={jest.fn()} />,
      {
        apis: [
          mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
          [aiTriageApiRef, client],
        ],
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      },
    );

    expect(await screen.findByText('Status: open')).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: /^Acknowledge / }),
    );

    expect(await screen.findByText('Status: acknowledged')).toBeInTheDocument();
    expect(posted).toEqual([{ status: 'acknowledged' }]);
    expect(
      screen.getByRole('button', { name: /^Resolve / }),
    ).toBeInTheDocument();
    const banner = await screen.findByRole('region', {
      name: 'Current root cause',
    });
    expect(banner).toHaveTextContent('payments pool exhausted');
    expect(banner).toHaveTextContent('Check the pool size');
    expect(banner).toHaveTextContent('Status set by user:default/guest');
  });

  it('sets the ticket the accepted cause is posted to', async () => {
    let detail: IncidentDetailResponse = detailResponse();
    const put: unknown[] = [];
    server.use(
      http.get(`${API}/incidents/inc-1`, () => HttpResponse.json(detail)),
      http.put(`${API}/incidents/inc-1/ticket`, async ({ request }) => {
        put.push(await request.json());
        const ticket = {
          system: 'github' as const,
          owner: 'acme',
          repo: 'shop',
          issueNumber: 12,
        };
        detail = {
          ...detail,
          workflow: {
            statusChangedBy: null,
            statusChangedAt: null,
            currentRootCause: null,
            ticket,
          },
        };
        return HttpResponse.json({ ticket });
      }),
    );
    await renderInTestApp(
      <IncidentDetail incidentId="inc-1" onClose={jest.fn()} />,
      {
        apis: [
          mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
          [aiTriageApiRef, client],
        ],
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      },
    );

    expect(await screen.findByText('Ticket: none')).toBeInTheDocument();
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Ticket' }),
      'https://github.com/acme/shop/issues/12',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Set ticket' }));

    expect(
      await screen.findByRole('link', { name: 'acme/shop#12' }),
    ).toHaveAttribute('href', 'https://github.com/acme/shop/issues/12');
    expect(put).toEqual([{ ticket: 'https://github.com/acme/shop/issues/12' }]);
  });
});
