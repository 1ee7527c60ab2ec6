import { useState } from 'react';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import ExpandLessIcon from '@material-ui/icons/ExpandLess';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import {
  ContextDocument,
  Hypothesis,
  Review,
  ReviewDecision,
  ReviewRequest,
} from '@ai-triage/plugin-ai-triage-common';
import { formatProbability, formatTime } from '../../format';
import { EvidenceList } from './EvidenceList';
import { ReviewActions } from './ReviewActions';

const useStyles = makeStyles(theme => ({
  hypothesis: {
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
    padding: theme.spacing(2),
    '& + &': {
      marginTop: theme.spacing(2),
    },
  },
  heading: {
    display: 'flex',
    alignItems: 'flex-start',
    justifyContent: 'space-between',
    gap: theme.spacing(1),
  },
  chips: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    margin: theme.spacing(1, 0),
  },
  steps: {
    margin: theme.spacing(0.5, 0),
    paddingLeft: theme.spacing(3),
  },
  review: {
    backgroundColor: theme.palette.background.default,
    borderRadius: theme.shape.borderRadius,
    padding: theme.spacing(1, 1.5),
    marginTop: theme.spacing(1.5),
  },
  actions: {
    marginTop: theme.spacing(1.5),
  },
  evidenceToggle: {
    marginTop: theme.spacing(0.5),
    paddingLeft: 0,
  },
}));

const DECISION_LABELS: Record<ReviewDecision, string> = {
  accepted: 'Accepted',
  modified: 'Modified',
  rejected: 'Rejected',
};

function ReviewSummary(props: { review: Review }) {
  const { review } = props;
  const classes = useStyles();
  return (
    <div className={classes.review}>
      <Typography variant="body2">
        <strong>{DECISION_LABELS[review.decision]}</strong> by{' '}
        <EntityRefLink entityRef={review.reviewer} defaultKind="user" /> on{' '}
        {formatTime(review.createdAt)}
      </Typography>
      {review.modifiedRootCause && (
        <Typography variant="body2">
          Corrected root cause: {review.modifiedRootCause}
        </Typography>
      )}
      {review.modifiedAffectedComponents && (
        <Typography variant="body2">
          Corrected components: {review.modifiedAffectedComponents.join(', ')}
        </Typography>
      )}
      {review.modifiedDiagnosticSteps && (
        <Typography variant="body2">
          Corrected steps: {review.modifiedDiagnosticSteps.join('; ')}
        </Typography>
      )}
      {review.comment && (
        <Typography variant="body2" color="textSecondary">
          {review.comment}
        </Typography>
      )}
    </div>
  );
}

/**
 * One hypothesis with its evidence and the Accept / Modify / Reject actions.
 *
 * @internal
 */
export function HypothesisItem(props: {
  hypothesis: Hypothesis;
  context: ContextDocument | null;
  highlightedEvidenceId?: string;
  onEvidenceClick: (evidenceId: string) => void;
  canReview: boolean;
  onReview: (hypothesisId: string, request: ReviewRequest) => Promise<void>;
}) {
  const {
    hypothesis,
    context,
    highlightedEvidenceId,
    onEvidenceClick,
    canReview,
    onReview,
  } = props;
  const classes = useStyles();
  // Evidence on demand: the claim first, what it rests on when the reader doubts it.
  const [showEvidence, setShowEvidence] = useState(false);

  const titleId = `ai-triage-hypothesis-${hypothesis.id}`;
  const evidenceId = `ai-triage-hypothesis-evidence-${hypothesis.id}`;
  const probability =
    hypothesis.probability === undefined
      ? ''
      : ` (${formatProbability(hypothesis.probability)})`;
  return (
    <section className={classes.hypothesis} aria-labelledby={titleId}>
      <div className={classes.heading}>
        <Typography variant="subtitle1" component="h3" id={titleId}>
          {hypothesis.rank}. {hypothesis.rootCause}
        </Typography>
        <Chip
          size="small"
          color={hypothesis.confidence === 'high' ? 'primary' : 'default'}
          variant={hypothesis.confidence === 'low' ? 'outlined' : 'default'}
          label={`${hypothesis.confidence} confidence${probability}`}
        />
      </div>

      {(hypothesis.kind || hypothesis.affectedComponents.length > 0) && (
        <div className={classes.chips}>
          {hypothesis.kind && (
            <Chip size="small" variant="outlined" label={hypothesis.kind} />
          )}
          {hypothesis.affectedComponents.length > 0 && (
            <Typography variant="caption">Affected:</Typography>
          )}
          {hypothesis.affectedComponents.map(component => (
            <Chip
              key={component}
              size="small"
              label={
                component === hypothesis.origin
                  ? `${component} (origin)`
                  : component
              }
            />
          ))}
        </div>
      )}

      <Typography variant="body2" paragraph>
        {hypothesis.reasoning}
      </Typography>

      {hypothesis.diagnosticSteps.length > 0 && (
        <>
          <Typography variant="caption">Diagnostic steps</Typography>
          <ol className={classes.steps}>
            {hypothesis.diagnosticSteps.map(step => (
              <Typography key={step} component="li" variant="body2">
                {step}
              </Typography>
            ))}
          </ol>
        </>
      )}

      <Button
        size="small"
        className={classes.evidenceToggle}
        aria-expanded={showEvidence}
        aria-controls={evidenceId}
        startIcon={showEvidence ? <ExpandLessIcon /> : <ExpandMoreIcon />}
        onClick={() => setShowEvidence(!showEvidence)}
      >
        Evidence ({hypothesis.evidenceIds.length})
      </Button>
      {showEvidence && (
        <div id={evidenceId}>
          <EvidenceList
            context={context}
            evidenceIds={hypothesis.evidenceIds}
            highlightedEvidenceId={highlightedEvidenceId}
            onEvidenceClick={onEvidenceClick}
          />
        </div>
      )}

      <Typography variant="caption" color="textSecondary" component="p">
        By {hypothesis.reasoner}, {formatTime(hypothesis.createdAt)}
      </Typography>

      {hypothesis.review && <ReviewSummary review={hypothesis.review} />}
      {(hypothesis.reviewHistory?.length ?? 0) > 1 && (
        <details>
          <summary>
            <Typography variant="caption">
              Earlier reviews ({hypothesis.reviewHistory!.length - 1})
            </Typography>
          </summary>
          {hypothesis
            .reviewHistory!.slice(0, -1)
            .reverse()
            .map(review => (
              <ReviewSummary key={review.id} review={review} />
            ))}
        </details>
      )}

      <ReviewActions
        className={classes.actions}
        hypothesis={hypothesis}
        canReview={canReview}
        onReview={onReview}
      />
    </section>
  );
}
