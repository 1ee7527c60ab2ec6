import { coreExtensionData } from '@backstage/frontend-plugin-api';
import {
  createExtensionTester,
  mockApis,
  registerMswTestHooks,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  TriageQualityResponse,
  TriageQualityRow,
} from '@ai-triage/plugin-ai-triage-common';
import { configure, screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  aiTriageApi,
  aiTriageQualityPage,
  triageQualityRouteRef,
} from '../../plugin';
import { API } from '../../testUtils/fixtures';
import { qualityCsv } from './qualityCsv';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30_000);

const server = setupServer();
registerMswTestHooks(server);

const bins = [
  { from: 0, to: 0.2, count: 0, meanProbability: null, observed: null },
  { from: 0.2, to: 0.4, count: 1, meanProbability: 0.3, observed: 0 },
  { from: 0.4, to: 0.6, count: 1, meanProbability: 0.5, observed: 1 },
  { from: 0.6, to: 0.8, count: 1, meanProbability: 0.7, observed: 0 },
  { from: 0.8, to: 1, count: 2, meanProbability: 0.85, observed: 0.5 },
];
const row = (over: Partial<TriageQualityRow>): TriageQualityRow => ({
  purpose: 'live',
  reasoner: 'all',
  model: null,
  promptVersion: null,
  runs: 4,
  abstentions: 1,
  reviews: 5,
  accepted: 2,
  modified: 1,
  rejected: 2,
  brier: 0.296,
  ece: 0.44,
  reliability: bins,
  ...over,
});
const quality: TriageQualityResponse = {
  from: '2026-11-06T00:00:00.000Z',
  to: '2026-12-06T00:00:00.000Z',
  overall: row({}),
  byReasoner: [
    row({
      reasoner: 'heuristic',
      runs: 3,
      reviews: 4,
      accepted: 2,
      modified: 1,
      rejected: 1,
      brier: 0.2476,
    }),
    row({
      reasoner: 'openai',
      model: 'small',
      promptVersion: 'triage-v2',
      runs: 1,
      abstentions: 0,
      reviews: 1,
      accepted: 0,
      modified: 0,
      rejected: 1,
      brier: 0.49,
    }),
    row({
      purpose: 'replay',
      reasoner: 'openai',
      model: 'large',
      promptVersion: 'triage-v3',
      runs: 8,
      abstentions: 2,
      reviews: 0,
      accepted: 0,
      modified: 0,
      rejected: 0,
      brier: null,
      ece: null,
      reliability: bins.map(b => ({
        ...b,
        count: 0,
        meanProbability: null,
        observed: null,
      })),
    }),
  ],
  replays: [
    {
      runId: 'run-r1',
      incidentId: 'inc-42',
      reasoner: 'openai',
      model: 'large',
      promptVersion: 'triage-v3',
      createdAt: '2026-12-05T10:00:00.000Z',
      insufficientEvidence: false,
      top: {
        rootCause: 'pool exhausted',
        probability: 0.9,
        origin: 'payments',
      },
      live: {
        rootCause: 'payments is slow',
        probability: 0.7,
        decision: 'rejected',
      },
    },
  ],
};

describe('TriageQualityPage', () => {
  it('shows review rates, abstentions, Brier score, the reliability diagram and a row per reasoner', async () => {
    const queries: Record<string, string>[] = [];
    server.use(
      http.get(`${API}/quality`, ({ request }) => {
        queries.push(Object.fromEntries(new URL(request.url).searchParams));
        return HttpResponse.json(quality);
      }),
    );
    renderTestApp({
      extensions: [aiTriageApi, aiTriageQualityPage],
      apis: [mockApis.permission({ authorize: AuthorizeResult.ALLOW })],
      initialRouteEntries: ['/ai-triage-quality'],
    });

    const summary = await screen
      .findByRole('list', { name: 'Quality summary' })
      .catch(() => screen.findByLabelText('Quality summary'));
    const detail = (term: string) =>
      within(summary).getByLabelText(term).textContent;
    expect(detail('Triage runs')).toBe('4');
    expect(detail('Abstentions')).toBe('25%');
    expect(detail('Reviewed hypotheses')).toBe('5');
    expect(detail('Accepted')).toBe('40%');
    expect(detail('Modified')).toBe('20%');
    expect(detail('Rejected')).toBe('40%');
    expect(detail('Brier score')).toBe('0.296');
    expect(detail('Expected calibration error')).toBe('0.440');

    const diagram = screen.getByRole('img', { name: 'Reliability diagram' });
    expect(diagram.querySelectorAll('circle')).toHaveLength(4);

    // One row per reasoner, model and prompt version; the recorded replay is marked.
    const cells = (name: RegExp) =>
      within(screen.getByRole('row', { name }))
        .getAllByRole('cell')
        .map(c => c.textContent);
    expect(cells(/^heuristic/)).toEqual([
      'heuristic',
      '–',
      '–',
      'incidents',
      '3',
      '33%',
      '4',
      '50%',
      '25%',
      '25%',
      '0.248',
      '0.440',
    ]);
    expect(cells(/^openai small/)).toEqual([
      'openai',
      'small',
      'triage-v2',
      'incidents',
      '1',
      '0%',
      '1',
      '0%',
      '0%',
      '100%',
      '0.490',
      '0.440',
    ]);
    expect(cells(/^openai large/)).toEqual([
      'openai',
      'large',
      'triage-v3',
      'replay (recorded)',
      '8',
      '25%',
      '0',
      '–',
      '–',
      '–',
      '–',
      '–',
    ]);

    // Each recorded replay beside the live answer the incident still shows.
    const replay = within(screen.getByRole('row', { name: /^inc-42/ }))
      .getAllByRole('cell')
      .map(c => c.textContent);
    expect([replay[0], ...replay.slice(1, 4), ...replay.slice(5)]).toEqual([
      'inc-42',
      'openai',
      'large',
      'triage-v3',
      'pool exhausted (0.90)',
      'payments is slow (0.70): rejected',
    ]);

    const csv = screen.getByRole('link', { name: 'Export CSV' });
    expect(decodeURIComponent(csv.getAttribute('href')!)).toContain(
      'live,"heuristic",,,2026-11-06T00:00:00.000Z,2026-12-06T00:00:00.000Z,3,1,0.3333,4,2,1,1,0.5000,0.2500,0.2500,0.2476,0.4400',
    );
    expect(decodeURIComponent(csv.getAttribute('href')!)).toContain(
      'replay,"openai","large","triage-v3",2026-11-06T00:00:00.000Z,2026-12-06T00:00:00.000Z,8,2,0.2500,0,0,0,0,,,,,',
    );
    const days =
      (Date.parse(queries[0].to) - Date.parse(queries[0].from)) / 86_400_000;
    expect(days).toBe(30);
  });

  it('writes a header, one CSV line per row of the table and one for all', () => {
    const lines = qualityCsv(quality).trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^purpose,reasoner,model,prompt_version,from,to,/);
    expect(lines[2]).toMatch(/^live,"openai","small","triage-v2",/);
  });

  it('mounts the page at its route ref, which other pages link to with useRouteRef', () => {
    expect(
      createExtensionTester(aiTriageQualityPage).get(
        coreExtensionData.routeRef,
      ),
    ).toBe(triageQualityRouteRef);
  });

  it('is a sidebar item linking to the page', async () => {
    server.use(http.get(`${API}/quality`, () => HttpResponse.json(quality)));
    renderTestApp({
      extensions: [aiTriageApi, aiTriageQualityPage],
      apis: [mockApis.permission({ authorize: AuthorizeResult.ALLOW })],
      initialRouteEntries: ['/ai-triage-quality'],
    });
    const nav = await screen.findByRole('navigation');
    expect(
      within(nav).getByRole('link', { name: /Triage quality/ }),
    ).toHaveAttribute('href', '/ai-triage-quality');
  });
});
