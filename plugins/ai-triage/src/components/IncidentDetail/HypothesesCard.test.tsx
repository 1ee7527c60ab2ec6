import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import { context, hypothesis, incident } from '../../testUtils/fixtures';
import { HypothesesCard } from './HypothesesCard';

// usePermission caches answers for the whole module (SWR), so each file tests one answer.
const permissionApi = mockApis.permission({ authorize: AuthorizeResult.DENY });

function renderCard(detail: Partial<IncidentDetailResponse>) {
  return renderInTestApp(
    <HypothesesCard
      detail={{
        incident,
        alerts: [],
        context,
        hypotheses: [hypothesis],
        insufficientEvidence: false,
        ...detail,
      }}
      onEvidenceClick={jest.fn()}
      onReview={jest.fn()}
    />,
    {
      apis: [permissionApi],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

describe('HypothesesCard', () => {
  it('disables the review actions without the review permission', async () => {
    renderCard({});

    expect(
      await screen.findByText(
        'You do not have permission to review hypotheses.',
      ),
    ).toBeInTheDocument();
    for (const name of ['Accept', 'Modify', 'Reject']) {
      expect(screen.getByRole('button', { name })).toBeDisabled();
    }
  });

  it('says when triage is still running', async () => {
    renderCard({
      incident: { ...incident, triageState: 'reasoning' },
      context: null,
      hypotheses: [],
    });

    expect(
      await screen.findByText(
        'Hypotheses appear here when triage has finished.',
      ),
    ).toBeInTheDocument();
  });

  it('says when the evidence was insufficient', async () => {
    renderCard({ hypotheses: [], insufficientEvidence: true });

    expect(
      await screen.findByText(/too little evidence for a root cause/),
    ).toBeInTheDocument();
  });

  it('names the reason triage failed', async () => {
    renderCard({
      incident: { ...incident, triageState: 'failed' },
      hypotheses: [],
      failureReason: 'enrich: context store unreachable',
    });

    expect(
      await screen.findByText(
        'The pipeline gave up on this incident: enrich: context store unreachable',
      ),
    ).toBeInTheDocument();
  });

  it('says plainly when the fallback reasoner answered', async () => {
    renderCard({ degraded: true, degradedReason: 'circuit open' });

    expect(
      await screen.findByText(
        /Degraded result: the fallback reasoner answered/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(/\(circuit open\)/)).toBeInTheDocument();
  });

  it('shows who reviewed a hypothesis before', async () => {
    const review = (
      id: string,
      decision: 'accepted' | 'rejected',
      who: string,
    ) => ({
      id,
      hypothesisId: hypothesis.id,
      decision,
      comment: null,
      modifiedRootCause: null,
      reviewer: `user:default/${who}`,
      createdAt: '2026-01-10T10:10:00.000Z',
    });
    const history = [
      review('1', 'rejected', 'bob'),
      review('2', 'accepted', 'jane'),
    ];
    renderCard({
      hypotheses: [
        { ...hypothesis, review: history[1], reviewHistory: history },
      ],
    });

    expect(await screen.findByText('Earlier reviews (1)')).toBeInTheDocument();
    expect(screen.getByText('Rejected')).toBeInTheDocument();
    expect(screen.getByText('bob')).toBeInTheDocument();
    expect(screen.getByText('Accepted')).toBeInTheDocument();
    expect(screen.getByText('jane')).toBeInTheDocument();
  });

  it('says when triage failed', async () => {
    renderCard({
      incident: { ...incident, triageState: 'failed' },
      hypotheses: [],
    });

    expect(await screen.findByText(/Triage failed/)).toBeInTheDocument();
    expect(
      screen.getByText(/jobs\?incidentId=inc-1&status=dead/),
    ).toBeInTheDocument();
  });
});
