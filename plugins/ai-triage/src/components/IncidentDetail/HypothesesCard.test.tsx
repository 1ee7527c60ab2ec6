import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
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
      knownEvidenceIds={new Set(['dep:payments-db', 'log:1'])}
      onEvidenceClick={jest.fn()}
      onReview={jest.fn()}
    />,
    { apis: [permissionApi] },
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
