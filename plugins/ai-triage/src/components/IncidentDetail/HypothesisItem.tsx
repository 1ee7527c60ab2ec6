import { useState } from 'react';
import { coreApis, useApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  Hypothesis,
  Review,
  ReviewDecision,
  ReviewRequest,
} from '@ai-triage/plugin-ai-triage-common';
import { formatTime } from '../../format';
import {
  ModifyHypothesisDialog,
  RejectHypothesisDialog,
} from './ReviewDialogs';

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
  evidenceChip: {
    fontFamily: 'monospace',
    maxWidth: '100%',
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
    display: 'flex',
    gap: theme.spacing(1),
    marginTop: theme.spacing(1.5),
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

function describeError(error: unknown): string {
  if (error instanceof ResponseError) {
    return error.cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * One hypothesis with its evidence and the Accept / Modify / Reject actions.
 *
 * @internal
 */
export function HypothesisItem(props: {
  hypothesis: Hypothesis;
  knownEvidenceIds: ReadonlySet<string>;
  highlightedEvidenceId?: string;
  onEvidenceClick: (evidenceId: string) => void;
  canReview: boolean;
  onReview: (hypothesisId: string, request: ReviewRequest) => Promise<void>;
}) {
  const {
    hypothesis,
    knownEvidenceIds,
    highlightedEvidenceId,
    onEvidenceClick,
    canReview,
    onReview,
  } = props;
  const classes = useStyles();
  const toastApi = useApi(coreApis.toast);
  const [dialog, setDialog] = useState<'modify' | 'reject'>();
  const [submitting, setSubmitting] = useState(false);

  const submit = async (request: ReviewRequest) => {
    setSubmitting(true);
    try {
      await onReview(hypothesis.id, request);
      setDialog(undefined);
    } catch (error) {
      toastApi.post({
        title: 'The review was not saved',
        description: describeError(error),
        status: 'danger',
      });
    } finally {
      setSubmitting(false);
    }
  };

  const titleId = `ai-triage-hypothesis-${hypothesis.id}`;
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
          label={`${hypothesis.confidence} confidence`}
        />
      </div>

      {hypothesis.affectedComponents.length > 0 && (
        <div className={classes.chips}>
          <Typography variant="caption">Affected:</Typography>
          {hypothesis.affectedComponents.map(component => (
            <Chip key={component} size="small" label={component} />
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

      <div className={classes.chips}>
        <Typography variant="caption">Evidence:</Typography>
        {hypothesis.evidenceIds.map(evidenceId => (
          <Chip
            key={evidenceId}
            size="small"
            className={classes.evidenceChip}
            label={evidenceId}
            title={
              knownEvidenceIds.has(evidenceId)
                ? evidenceId
                : `${evidenceId} is not in the context document`
            }
            disabled={!knownEvidenceIds.has(evidenceId)}
            color={evidenceId === highlightedEvidenceId ? 'primary' : 'default'}
            aria-pressed={evidenceId === highlightedEvidenceId}
            onClick={() => onEvidenceClick(evidenceId)}
          />
        ))}
      </div>

      <Typography variant="caption" color="textSecondary">
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

      <div className={classes.actions}>
        <Button
          size="small"
          variant="outlined"
          color="primary"
          disabled={!canReview || submitting}
          onClick={() => submit({ decision: 'accepted' })}
        >
          Accept
        </Button>
        <Button
          size="small"
          variant="outlined"
          disabled={!canReview || submitting}
          onClick={() => setDialog('modify')}
        >
          Modify
        </Button>
        <Button
          size="small"
          variant="outlined"
          disabled={!canReview || submitting}
          onClick={() => setDialog('reject')}
        >
          Reject
        </Button>
      </div>

      {dialog === 'modify' && (
        <ModifyHypothesisDialog
          rootCause={
            hypothesis.review?.modifiedRootCause ?? hypothesis.rootCause
          }
          affectedComponents={
            hypothesis.review?.modifiedAffectedComponents ??
            hypothesis.affectedComponents
          }
          diagnosticSteps={
            hypothesis.review?.modifiedDiagnosticSteps ??
            hypothesis.diagnosticSteps
          }
          original={hypothesis}
          submitting={submitting}
          onCancel={() => setDialog(undefined)}
          onSubmit={submit}
        />
      )}
      {dialog === 'reject' && (
        <RejectHypothesisDialog
          submitting={submitting}
          onCancel={() => setDialog(undefined)}
          onSubmit={submit}
        />
      )}
    </section>
  );
}
