import { useState } from 'react';
import { coreApis, useApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import Button from '@material-ui/core/Button';
import { makeStyles } from '@material-ui/core/styles';
import { Hypothesis, ReviewRequest } from '@ai-triage/plugin-ai-triage-common';
import {
  ModifyHypothesisDialog,
  RejectHypothesisDialog,
} from './ReviewDialogs';

const useStyles = makeStyles(theme => ({
  actions: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
  },
}));

function describeError(error: unknown): string {
  if (error instanceof ResponseError) {
    return error.cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Accept, Modify and Reject for one hypothesis, with the dialogs that ask for the correction or
 * the reason. A refused review is reported as a toast.
 *
 * @internal
 */
export function ReviewActions(props: {
  hypothesis: Hypothesis;
  canReview: boolean;
  onReview: (hypothesisId: string, request: ReviewRequest) => Promise<void>;
  className?: string;
  /** Names the hypothesis in the buttons' accessible names where several sets are on a page. */
  ariaLabelSuffix?: string;
}) {
  const { hypothesis, canReview, onReview, className, ariaLabelSuffix } = props;
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
  const label = (action: string) =>
    ariaLabelSuffix ? `${action} ${ariaLabelSuffix}` : undefined;

  return (
    <div className={`${classes.actions} ${className ?? ''}`}>
      <Button
        size="small"
        variant="outlined"
        color="primary"
        aria-label={label('Accept')}
        disabled={!canReview || submitting}
        onClick={() => submit({ decision: 'accepted' })}
      >
        Accept
      </Button>
      <Button
        size="small"
        variant="outlined"
        aria-label={label('Modify')}
        disabled={!canReview || submitting}
        onClick={() => setDialog('modify')}
      >
        Modify
      </Button>
      <Button
        size="small"
        variant="outlined"
        aria-label={label('Reject')}
        disabled={!canReview || submitting}
        onClick={() => setDialog('reject')}
      >
        Reject
      </Button>

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
    </div>
  );
}
