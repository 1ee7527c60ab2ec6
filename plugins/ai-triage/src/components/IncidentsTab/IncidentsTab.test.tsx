import {
  mockApis,
  registerMswTestHooks,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  Incident,
  IncidentDetailResponse,
  Review,
  ReviewRequest,
} from '@ai-triage/plugin-ai-triage-common';
import { aiTriagePlugin } from '../../plugin';
import {
  alert,
  context,
  entity,
  hypothesis,
  incident,
} from '../../testUtils/fixtures';

const API = 'http://localhost:7007/api/ai-triage';

// Each test boots a whole app and lazy-loads the tab, which can take seconds on a busy machine.
configure({ asyncUtilTimeout: 5000 });
// Typing into MUI fields rerenders per keystroke; give a loaded CI machine room.
jest.setTimeout(30_000);

const server = setupServer();
registerMswTestHooks(server);

/** Serves one incident and records the reviews posted for it. */
function serveIncident(options: { reviewStatus?: number } = {}) {
  const posted: ReviewRequest[] = [];
  let latestReview: Review | null = null;
  server.use(
    http.get(`${API}/incidents`, () =>
      HttpResponse.json({ items: [incident] }),
    ),
    http.get(`${API}/incidents/inc-1`, () => {
      const body: IncidentDetailResponse = {
        incident,
        alerts: [alert],
        context,
        hypotheses: [{ ...hypothesis, review: latestReview }],
        insufficientEvidence: false,
      };
      return HttpResponse.json(body);
    }),
    http.post(
      `${API}/incidents/inc-1/hypotheses/hyp-1/reviews`,
      async ({ request }) => {
        const body = (await request.json()) as ReviewRequest;
        posted.push(body);
        if (options.reviewStatus) {
          return HttpResponse.json(
            {
              error: {
                name: 'NotAllowedError',
                message: 'Missing permission ai-triage.hypothesis.review',
              },
              response: { statusCode: options.reviewStatus },
            },
            { status: options.reviewStatus },
          );
        }
        latestReview = {
          id: 'rev-1',
          hypothesisId: 'hyp-1',
          decision: body.decision,
          comment: body.comment ?? null,
          modifiedRootCause: body.modifiedRootCause ?? null,
          reviewer: 'user:default/jane',
          createdAt: '2026-01-10T10:10:00.000Z',
        };
        return HttpResponse.json(latestReview, { status: 201 });
      },
    ),
  );
  return posted;
}

function renderTab(options: { initialRoute?: string } = {}) {
  const toastApi = mockApis.toast();
  renderTestApp({
    features: [aiTriagePlugin],
    extensions: [createTestEntityPage({ entity })],
    apis: [mockApis.permission({ authorize: AuthorizeResult.ALLOW }), toastApi],
    initialRouteEntries: options.initialRoute
      ? [options.initialRoute]
      : undefined,
  });
  return { toastApi };
}

function contextItem(evidenceId: string) {
  return document.querySelector(`[data-evidence-id="${evidenceId}"]`);
}

async function hypothesisSection() {
  return screen.findByRole('region', {
    name: /The payments-db connection pool is exhausted/,
  });
}

describe('IncidentsTab', () => {
  it("lists the entity's incidents", async () => {
    const requestedRefs: Array<string | null> = [];
    server.use(
      http.get(`${API}/incidents`, ({ request }) => {
        requestedRefs.push(new URL(request.url).searchParams.get('entityRef'));
        return HttpResponse.json({ items: [incident] });
      }),
    );
    renderTab();

    const row = (await screen.findByText('HighErrorRate on checkout')).closest(
      'tr',
    )!;
    expect(within(row).getByText('critical')).toBeInTheDocument();
    expect(within(row).getByText('open')).toBeInTheDocument();
    expect(within(row).getByText('Triaged')).toBeInTheDocument();
    expect(within(row).getByText('2')).toBeInTheDocument();
    expect(requestedRefs[0]).toBe('component:default/checkout');
  });

  it('explains how to send alerts, and shows a new incident without a reload', async () => {
    let items: Incident[] = [];
    server.use(
      http.get(`${API}/incidents`, () => HttpResponse.json({ items })),
    );
    renderTab();

    expect(
      await screen.findByText('No incidents for this service yet'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('/api/ai-triage/webhooks/alertmanager'),
    ).toBeInTheDocument();

    items = [incident];
    // Polled every three seconds: within the five seconds the demo promises.
    expect(
      await screen.findByText('HighErrorRate on checkout'),
    ).toBeInTheDocument();
  }, 10_000);

  it('opens an incident with its alert, context and hypotheses', async () => {
    serveIncident();
    renderTab();

    await userEvent.click(
      await screen.findByRole('link', { name: 'HighErrorRate on checkout' }),
    );

    expect(
      await screen.findByText('Checkout error rate above 5%', {
        selector: 'p',
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByText('POST /pay fails for 12% of requests'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('service_name=checkout', { exact: false }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /Open in the alert's source/ }),
    ).toHaveAttribute('href', alert.generatorURL);

    expect(contextItem('op:POST /pay')).toHaveTextContent(
      '1200 spans, 12% errors, p95 2.3 s',
    );
    expect(contextItem('dep:payments-db')).toHaveTextContent(
      '82% of latency, 1100 calls, 12% errors, p95 2.1 s',
    );
    expect(contextItem('log:1')).toHaveTextContent(
      'timeout acquiring connection after <*> ms',
    );
    expect(contextItem('log:1')).toHaveTextContent('131 × error');
    expect(contextItem('metric:db_pool_in_use')).toHaveTextContent(
      'db_pool_in_use{pool="payments"}12 → 50 (+317%)',
    );
    expect(
      screen.getByText('Missing: traces from payments-db'),
    ).toBeInTheDocument();
    expect(screen.getByText('3 values redacted')).toBeInTheDocument();

    const section = await hypothesisSection();
    expect(within(section).getByText('high confidence')).toBeInTheDocument();
    expect(
      within(section).getByText('Check the pool size of payments-db'),
    ).toBeInTheDocument();
  });

  it('shows the incident named in the URL, highlights cited evidence and closes', async () => {
    serveIncident();
    renderTab({ initialRoute: '/?incident=inc-1' });

    const section = await hypothesisSection();
    expect(contextItem('dep:payments-db')).toHaveAttribute(
      'data-highlighted',
      'false',
    );

    await userEvent.click(
      within(section).getByRole('button', { name: 'dep:payments-db' }),
    );
    expect(contextItem('dep:payments-db')).toHaveAttribute(
      'data-highlighted',
      'true',
    );
    expect(contextItem('log:1')).toHaveAttribute('data-highlighted', 'false');

    await userEvent.click(
      screen.getByRole('button', { name: 'Close incident' }),
    );
    expect(section).not.toBeInTheDocument();
    expect(screen.getByText('HighErrorRate on checkout')).toBeInTheDocument();
  });

  it('accepts a hypothesis and shows the review', async () => {
    const posted = serveIncident();
    renderTab({ initialRoute: '/?incident=inc-1' });

    const section = await hypothesisSection();
    await userEvent.click(
      within(section).getByRole('button', { name: 'Accept' }),
    );

    await waitFor(() => expect(posted).toEqual([{ decision: 'accepted' }]));
    expect(await within(section).findByText('Accepted')).toBeInTheDocument();
    expect(within(section).getByText('jane')).toBeInTheDocument();
  });

  it('requires a root cause to modify a hypothesis', async () => {
    const posted = serveIncident();
    renderTab({ initialRoute: '/?incident=inc-1' });

    const section = await hypothesisSection();
    await userEvent.click(
      within(section).getByRole('button', { name: 'Modify' }),
    );

    const dialog = await screen.findByRole('dialog', {
      name: 'Modify hypothesis',
    });
    const rootCause = within(dialog).getByRole('textbox', {
      name: /Root cause/,
    });
    expect(rootCause).toHaveValue(hypothesis.rootCause);
    const save = within(dialog).getByRole('button', { name: 'Save' });

    await userEvent.clear(rootCause);
    expect(
      within(dialog).getByText('Enter the corrected root cause.'),
    ).toBeInTheDocument();
    expect(save).toBeDisabled();
    await userEvent.type(rootCause, '{enter}');
    expect(posted).toEqual([]);

    await userEvent.type(rootCause, 'A slow query holds connections');
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: 'Comment' }),
      'Pool size is fine',
    );
    await userEvent.click(save);

    await waitFor(() =>
      expect(posted).toEqual([
        {
          decision: 'modified',
          modifiedRootCause: 'A slow query holds connections',
          comment: 'Pool size is fine',
        },
      ]),
    );
    expect(
      await within(section).findByText(
        'Corrected root cause: A slow query holds connections',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('rejects a hypothesis with an optional reason', async () => {
    const posted = serveIncident();
    renderTab({ initialRoute: '/?incident=inc-1' });

    const section = await hypothesisSection();
    await userEvent.click(
      within(section).getByRole('button', { name: 'Reject' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Reject hypothesis',
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Reject' }),
    );

    await waitFor(() => expect(posted).toEqual([{ decision: 'rejected' }]));
    expect(await within(section).findByText('Rejected')).toBeInTheDocument();
  });

  it('reports a review the backend refuses', async () => {
    serveIncident({ reviewStatus: 403 });
    const { toastApi } = renderTab({ initialRoute: '/?incident=inc-1' });

    const section = await hypothesisSection();
    await userEvent.click(
      within(section).getByRole('button', { name: 'Accept' }),
    );

    await waitFor(() =>
      expect(toastApi.getToasts()).toEqual([
        expect.objectContaining({
          title: 'The review was not saved',
          description: 'Missing permission ai-triage.hypothesis.review',
          status: 'danger',
        }),
      ]),
    );
    expect(within(section).queryByText('Accepted')).not.toBeInTheDocument();
  });
});
