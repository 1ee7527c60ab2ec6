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
import { aiTriageApi, aiTriageIncidentsEntityContent } from '../../plugin';
import {
  alert,
  API,
  detailResponse,
  entity,
  hypothesis,
  incident,
  listResponse,
  manyIncidents,
} from '../../testUtils/fixtures';

// Each test boots a whole app and lazy-loads the tab, which can take seconds on a busy machine.
// Generous: the incident view is a heavy render, and the machine is shared.
configure({ asyncUtilTimeout: 10_000 });
// Typing into MUI fields rerenders per keystroke; give a loaded CI machine room.
jest.setTimeout(60_000);

const server = setupServer();
registerMswTestHooks(server);

/** Serves one incident and records the reviews posted for it. */
function serveIncident(
  options: {
    reviewStatus?: number;
    detail?: Partial<IncidentDetailResponse>;
  } = {},
) {
  const posted: ReviewRequest[] = [];
  const retriaged: string[] = [];
  let latestReview: Review | null = null;
  let current: Incident = incident;
  server.use(
    http.get(`${API}/incidents`, () =>
      HttpResponse.json(listResponse([current])),
    ),
    http.get(`${API}/incidents/inc-1`, () => {
      return HttpResponse.json(
        detailResponse({
          incident: current,
          hypotheses: [{ ...hypothesis, review: latestReview }],
          ...options.detail,
        }),
      );
    }),
    http.post(`${API}/incidents/inc-1/retriage`, () => {
      retriaged.push('inc-1');
      current = { ...incident, triageState: 'pending' };
      return HttpResponse.json({ incident: current }, { status: 202 });
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
          modifiedAffectedComponents: body.modifiedAffectedComponents ?? null,
          modifiedDiagnosticSteps: body.modifiedDiagnosticSteps ?? null,
          reviewer: 'user:default/jane',
          createdAt: '2026-01-10T10:10:00.000Z',
        };
        return HttpResponse.json(latestReview, { status: 201 });
      },
    ),
  );
  return { posted, retriaged };
}

function renderTab(
  options: { initialRoute?: string; entity?: typeof entity } = {},
) {
  const toastApi = mockApis.toast();
  renderTestApp({
    // The tab alone: the plugin's overview card would render on the test entity page too.
    extensions: [
      createTestEntityPage({ entity: options.entity ?? entity }),
      aiTriageApi,
      aiTriageIncidentsEntityContent,
    ],
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
    const requests: URLSearchParams[] = [];
    server.use(
      http.get(`${API}/incidents`, ({ request }) => {
        requests.push(new URL(request.url).searchParams);
        return HttpResponse.json(listResponse([incident]));
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
    expect(within(row).getByText(/^\d+ (s|min|h|d)$/)).toBeInTheDocument();
    expect(Object.fromEntries(requests[0])).toEqual({
      entityRef: 'component:default/checkout',
      limit: '20',
      offset: '0',
    });
  });

  it('asks the API for one page of 500 incidents at a time', async () => {
    const requests: URLSearchParams[] = [];
    server.use(
      http.get(`${API}/incidents`, ({ request }) => {
        const params = new URL(request.url).searchParams;
        requests.push(params);
        const offset = Number(params.get('offset'));
        const limit = Number(params.get('limit'));
        return HttpResponse.json(
          listResponse(manyIncidents(limit, offset), {
            totalCount: 500,
            offset,
            limit,
          }),
        );
      }),
    );
    renderTab();

    expect(await screen.findByText('Incident 1')).toBeInTheDocument();
    expect(screen.getByText('Incident 20')).toBeInTheDocument();
    expect(screen.queryByText('Incident 21')).not.toBeInTheDocument();
    expect(screen.getByText('1-20 of 500')).toBeInTheDocument();
    expect(requests.every(r => r.get('limit') === '20')).toBe(true);

    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByText('Incident 21')).toBeInTheDocument();
    expect(screen.queryByText('Incident 1')).not.toBeInTheDocument();
    expect(requests.at(-1)!.get('offset')).toBe('20');
  });

  it('tells how to link an entity without the service-name annotation', async () => {
    server.use(
      http.get(`${API}/incidents`, () => HttpResponse.json(listResponse([]))),
    );
    renderTab({
      entity: {
        ...entity,
        metadata: { name: 'checkout', namespace: 'default' },
      },
    });

    expect(
      await screen.findByText('opentelemetry.io/service-name', {
        exact: false,
        selector: 'code',
      }),
    ).toBeInTheDocument();
    expect(screen.getByText(/Missing Annotation/i)).toBeInTheDocument();
  });

  it('shows an error when the incidents cannot be loaded', async () => {
    server.use(
      http.get(`${API}/incidents`, () =>
        HttpResponse.json(
          {
            error: { name: 'Error', message: 'database is down' },
            response: { statusCode: 500 },
          },
          { status: 500 },
        ),
      ),
    );
    renderTab();

    expect(
      (await screen.findAllByText(/database is down/)).length,
    ).toBeGreaterThan(0);
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('renders alert text as text, never as HTML', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1">';
    serveIncident({
      detail: {
        alerts: [
          {
            ...alert,
            labels: { ...alert.labels, note: hostile },
            annotations: { summary: hostile, description: '<b>bold</b>' },
          },
        ],
      },
    });
    renderTab({ initialRoute: '/?incident=inc-1' });

    expect(
      await screen.findByText(hostile, { selector: 'p' }),
    ).toBeInTheDocument();
    expect(screen.getByText(`note=${hostile}`)).toBeInTheDocument();
    expect(screen.getByText('<b>bold</b>')).toBeInTheDocument();
    expect(document.querySelector('img[src="x"]')).toBeNull();
    expect(document.querySelector('b')).toBeNull();
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it('re-triages an incident on demand', async () => {
    const { retriaged } = serveIncident();
    renderTab({ initialRoute: '/?incident=inc-1' });

    await hypothesisSection();
    await userEvent.click(screen.getByRole('button', { name: 'Re-triage' }));

    await waitFor(() => expect(retriaged).toEqual(['inc-1']));
    expect(
      await screen.findByText('Triage in progress: Queued'),
    ).toBeInTheDocument();
  });

  it('explains how to send alerts, and shows a new incident without a reload', async () => {
    let items: Incident[] = [];
    server.use(
      http.get(`${API}/incidents`, () =>
        HttpResponse.json(listResponse(items)),
      ),
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

    // Evidence is collapsed until asked for.
    expect(
      within(section).queryByRole('button', { name: 'dep:payments-db' }),
    ).not.toBeInTheDocument();
    await userEvent.click(
      within(section).getByRole('button', { name: 'Evidence (2)' }),
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
    const { posted } = serveIncident();
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
    const { posted } = serveIncident();
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

    // Pasting instead of typing: each keystroke rerenders the dialog, slow on a busy machine.
    await userEvent.click(rootCause);
    await userEvent.paste('A slow query holds connections');
    const components = within(dialog).getByRole('textbox', {
      name: 'Affected components',
    });
    expect(components).toHaveValue('checkout\npayments-db');
    await userEvent.click(components);
    await userEvent.paste('\nreports');
    const steps = within(dialog).getByRole('textbox', {
      name: 'Diagnostic steps',
    });
    await userEvent.clear(steps);
    await userEvent.click(steps);
    await userEvent.paste('Find the slow query in pg_stat_activity');
    await userEvent.click(
      within(dialog).getByRole('textbox', { name: 'Comment' }),
    );
    await userEvent.paste('Pool size is fine');
    await userEvent.click(save);

    await waitFor(() =>
      expect(posted).toEqual([
        {
          decision: 'modified',
          modifiedRootCause: 'A slow query holds connections',
          modifiedAffectedComponents: ['checkout', 'payments-db', 'reports'],
          modifiedDiagnosticSteps: ['Find the slow query in pg_stat_activity'],
          comment: 'Pool size is fine',
        },
      ]),
    );
    expect(
      await within(section).findByText(
        'Corrected components: checkout, payments-db, reports',
      ),
    ).toBeInTheDocument();
    expect(
      within(section).getByText(
        'Corrected steps: Find the slow query in pg_stat_activity',
      ),
    ).toBeInTheDocument();
    expect(
      await within(section).findByText(
        'Corrected root cause: A slow query holds connections',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('rejects a hypothesis with a reason', async () => {
    const { posted } = serveIncident();
    renderTab({ initialRoute: '/?incident=inc-1' });

    const section = await hypothesisSection();
    await userEvent.click(
      within(section).getByRole('button', { name: 'Reject' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Reject hypothesis',
    });
    await userEvent.click(
      within(dialog).getByRole('textbox', { name: 'Reason' }),
    );
    await userEvent.paste('Pool metrics are flat');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Reject' }),
    );

    await waitFor(() =>
      expect(posted).toEqual([
        { decision: 'rejected', comment: 'Pool metrics are flat' },
      ]),
    );
    expect(
      await within(section).findByText('Pool metrics are flat'),
    ).toBeInTheDocument();
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
