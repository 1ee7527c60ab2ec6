import { InfoCard, WarningPanel } from '@backstage/core-components';
import { usePermission } from '@backstage/plugin-permission-react';
import Typography from '@material-ui/core/Typography';
import {
  IncidentDetailResponse,
  ReviewRequest,
  aiTriageHypothesisReviewPermission,
} from '@ai-triage/plugin-ai-triage-common';
import { isTriageRunning } from '../IncidentLabels';
import { HypothesisItem } from './HypothesisItem';

function Placeholder(props: { detail: IncidentDetailResponse }) {
  const { incident, insufficientEvidence } = props.detail;
  if (isTriageRunning(incident.triageState)) {
    return (
      <Typography color="textSecondary">
        Hypotheses appear here when triage has finished.
      </Typography>
    );
  }
  if (incident.triageState === 'failed') {
    return (
      <WarningPanel
        severity="error"
        title="Triage failed"
        message={
          props.detail.failureReason
            ? `The pipeline gave up on this incident: ${props.detail.failureReason}`
            : `The pipeline gave up on this incident. The reason is on its dead job: GET /api/ai-triage/jobs?incidentId=${incident.id}&status=dead`
        }
      />
    );
  }
  return (
    <Typography color="textSecondary">
      {insufficientEvidence
        ? 'Insufficient evidence: the context holds too little evidence for a root cause. Check what is missing in the context.'
        : 'No hypotheses were produced.'}
    </Typography>
  );
}

/**
 * The reasoner's hypotheses, best first, each reviewable by users with the review permission.
 *
 * @internal
 */
export function HypothesesCard(props: {
  detail: IncidentDetailResponse;
  knownEvidenceIds: ReadonlySet<string>;
  highlightedEvidenceId?: string;
  onEvidenceClick: (evidenceId: string) => void;
  onReview: (hypothesisId: string, request: ReviewRequest) => Promise<void>;
}) {
  const { detail, ...itemProps } = props;
  const { allowed, loading } = usePermission({
    permission: aiTriageHypothesisReviewPermission,
    resourceRef: detail.incident.id,
  });

  return (
    <InfoCard
      title="Hypotheses"
      subheader={
        detail.insufficientEvidence && detail.hypotheses.length > 0
          ? 'Insufficient evidence: the reasoner found too little in the context; treat these as weak.'
          : undefined
      }
      variant="gridItem"
    >
      {detail.degraded && (
        <WarningPanel
          severity="warning"
          title="Degraded result: the fallback reasoner answered"
          message={`The configured reasoner did not answer${
            detail.degradedReason ? ` (${detail.degradedReason})` : ''
          }, so these hypotheses come from the deterministic heuristic reasoner. Re-triage once the reasoner is back.`}
        />
      )}
      {detail.hypotheses.length === 0 ? (
        <Placeholder detail={detail} />
      ) : (
        detail.hypotheses.map(hypothesis => (
          <HypothesisItem
            key={hypothesis.id}
            hypothesis={hypothesis}
            canReview={allowed}
            {...itemProps}
          />
        ))
      )}
      {!loading && !allowed && detail.hypotheses.length > 0 && (
        <Typography variant="caption" color="textSecondary" component="p">
          You do not have permission to review hypotheses.
        </Typography>
      )}
    </InfoCard>
  );
}
