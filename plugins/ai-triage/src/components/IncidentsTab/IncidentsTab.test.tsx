import { Entity } from '@backstage/catalog-model';
import {
  mockApis,
  registerMswTestHooks,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  ContextDocument,
  Hypothesis,
  Incident,
  IncidentDetailResponse,
  Review,
  ReviewRequest,
  StoredAlert,
} from '@ai-triage/plugin-ai-triage-common';
import { aiTriagePlugin } from '../../plugin';

const API = 'http://localhost:7007/api/ai-triage';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', namespace: 'default' },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
};

const incident: Incident = {
  id: 'inc-1',
  correlationKey: 'alertmanager:checkout:HighErrorRate',
  title: 'HighErrorRate on checkout',
  entityRef: 'component:default/checkout',
  serviceName: 'checkout',
  namespace: 'shop',
  cluster: 'prod-eu',
  severity: 'critical',
  status: 'open',
  triageState: 'triaged',
  firstSeenAt: '2026-01-10T10:00:00.000Z',
  lastSeenAt: '2026-01-10T10:05:00.000Z',
  alertCount: 2,
};

const alert: StoredAlert = {
  id: 'alert-1',
  receivedAt: '2026-01-10T10:00:01.000Z',
  source: 'alertmanager',
  fingerprint: 'abc123',
  name: 'HighErrorRate',
  status: 'firing',
  severity: 'critical',
  startsAt: '2026-01-10T10:00:00.000Z',
  endsAt: null,
  labels: { alertname: 'HighErrorRate', service_name: 'checkout' },
  annotations: {
    summary: 'Checkout error rate above 5%',
    description: 'POST /pay fails for 12% of requests',
  },
  generatorURL: 'http://prometheus.example/graph?g0.expr=errors',
  resource: { 'service.name': 'checkout' },
};

const context: ContextDocument = {
  version: 1,
  incidentId: 'inc-1',
  serviceName: 'checkout',
  window: { from: '2026-01-10T09:45:00.000Z', to: '2026-01-10T10:05:00.000Z' },
  baselineWindow: {
    from: '2026-01-10T09:00:00.000Z',
    to: '2026-01-10T09:45:00.000Z',
  },
  alerts: [
    {
      id: 'alert:HighErrorRate',
      name: 'HighErrorRate',
      status: 'firing',
      severity: 'critical',
      summary: 'Checkout error rate above 5%',
      startsAt: '2026-01-10T10:00:00.000Z',
    },
  ],
  operations: [
    {
      id: 'op:POST /pay',
      operation: 'POST /pay',
      spanCount: 1200,
      errorCount: 144,
      errorRate: 0.12,
      p50Ms: 80,
      p95Ms: 2300,
      maxMs: 5000,
      sampleError: 'connection pool exhausted',
    },
  ],
  dependencies: [
    {
      id: 'dep:payments-db',
      dependency: 'payments-db',
      callCount: 1100,
      errorCount: 130,
      errorRate: 0.118,
      p95Ms: 2100,
      latencyShare: 0.82,
    },
  ],
  logTemplates: [
    {
      id: 'log:1',
      template: 'timeout acquiring connection after <*> ms',
      level: 'error',
      count: 131,
      firstSeen: '2026-01-10T09:58:00.000Z',
      lastSeen: '2026-01-10T10:04:00.000Z',
      sample: 'timeout acquiring connection after 2000 ms',
    },
  ],
  metricDeltas: [
    {
      id: 'metric:db_pool_in_use',
      metric: 'db_pool_in_use',
      attributes: { pool: 'payments' },
      baseline: 12,
      current: 50,
      changeRatio: 3.17,
    },
  ],
  missing: ['traces from payments-db'],
  truncated: [],
  redactions: 3,
};

const hypothesis: Hypothesis = {
  id: 'hyp-1',
  rank: 1,
  rootCause: 'The payments-db connection pool is exhausted',
  affectedComponents: ['checkout', 'payments-db'],
  confidence: 'high',
  reasoning: 'Most of the latency is spent waiting on payments-db.',
  diagnosticSteps: ['Check the pool size of payments-db'],
  evidenceIds: ['dep:payments-db', 'log:1'],
  reasoner: 'heuristic',
  createdAt: '2026-01-10T10:06:00.000Z',
  review: null,
};

const server = setupServer();
registerMswTestHooks(server);

/** Serves one incident and records the reviews posted for it. */
function serveIncident(options: { reviewStatus?: number } = {}) {
  const posted: ReviewRequest[] = [];
  let latestReview: Review | null = null;
  server.use(
    http.get(`${API}/incidents`, () => HttpResponse.json({ items: [incident] })),
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

function renderTab(
  options: {
    initialRoute?: string;
    authorize?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  } = {},
) {
  const toastApi = mockApis.toast();
  renderTestApp({
    features: [aiTriagePlugin],
    extensions: [createTestEntityPage({ entity })],
    apis: [
      mockApis.permission({
        authorize: options.authorize ?? AuthorizeResult.ALLOW,
      }),
      toastApi,
    ],
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
    expect(
      await screen.findByText(
        'HighErrorRate on checkout',
        {},
        { timeout: 5000 },
      ),
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

  it('shows the incident named in the URL and highlights cited evidence', async () => {
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
  });

  it('accepts a hypothesis and shows the review', async () => {
    const posted = serveIncident();
    renderTab({ initialRoute: '/?incident=inc-1' });

    const section = await hypothesisSection();
    await userEvent.click(within(section).getByRole('button', { name: 'Accept' }));

    await waitFor(() => expect(posted).toEqual([{ decision: 'accepted' }]));
    expect(await within(section).findByText('Accepted')).toBeInTheDocument();
    expect(within(section).getByText('jane')).toBeInTheDocument();
  });

  it('requires a root cause to modify a hypothesis', async () => {
    const posted = serveIncident();
    renderTab({ initialRoute: '/?incident=inc-1' });

    const section = await hypothesisSection();
    await userEvent.click(within(section).getByRole('button', { name: 'Modify' }));

    const dialog = await screen.findByRole('dialog', {
      name: 'Modify hypothesis',
    });
    const rootCause = within(dialog).getByRole('textbox', { name: /Root cause/ });
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
    await userEvent.click(within(section).getByRole('button', { name: 'Reject' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'Reject hypothesis',
    });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Reject' }));

    await waitFor(() => expect(posted).toEqual([{ decision: 'rejected' }]));
    expect(await within(section).findByText('Rejected')).toBeInTheDocument();
  });

  it('reports a review the backend refuses', async () => {
    serveIncident({ reviewStatus: 403 });
    const { toastApi } = renderTab({ initialRoute: '/?incident=inc-1' });

    const section = await hypothesisSection();
    await userEvent.click(within(section).getByRole('button', { name: 'Accept' }));

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

  it('disables the review actions without the review permission', async () => {
    serveIncident();
    renderTab({
      initialRoute: '/?incident=inc-1',
      authorize: AuthorizeResult.DENY,
    });

    const section = await hypothesisSection();
    expect(
      await screen.findByText(
        'You do not have permission to review hypotheses.',
      ),
    ).toBeInTheDocument();
    for (const name of ['Accept', 'Modify', 'Reject']) {
      expect(within(section).getByRole('button', { name })).toBeDisabled();
    }
  });
});
