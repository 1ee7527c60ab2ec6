import { FormEvent, useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import {
  ReviewRequest,
  reviewRequestSchema,
} from '@ai-triage/plugin-ai-triage-common';

// Length limits come from the shared request schema, so the form and the backend agree.
const reviewFields = reviewRequestSchema.shape;
const ROOT_CAUSE_MAX_LENGTH =
  reviewFields.modifiedRootCause.unwrap().maxLength ?? undefined;
const COMMENT_MAX_LENGTH = reviewFields.comment.unwrap().maxLength ?? undefined;

type ReviewDialogProps = {
  submitting: boolean;
  onCancel: () => void;
  onSubmit: (request: ReviewRequest) => void;
};

/** The non-empty lines of a multi-line field, trimmed. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map(line => line.trim())
    .filter(Boolean);
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function optionalComment(comment: string): { comment?: string } {
  const trimmed = comment.trim();
  return trimmed ? { comment: trimmed } : {};
}

/**
 * Asks for the corrected root cause (required) and an optional comment.
 *
 * @internal
 */
export function ModifyHypothesisDialog(
  props: ReviewDialogProps & {
    rootCause: string;
    affectedComponents: string[];
    diagnosticSteps: string[];
    /** The hypothesis as the reasoner made it: lists equal to these are not sent. */
    original: { affectedComponents: string[]; diagnosticSteps: string[] };
  },
) {
  const { submitting, onCancel, onSubmit } = props;
  const [rootCause, setRootCause] = useState(props.rootCause);
  const [components, setComponents] = useState(
    props.affectedComponents.join('\n'),
  );
  const [steps, setSteps] = useState(props.diagnosticSteps.join('\n'));
  const [comment, setComment] = useState('');
  const rootCauseError = rootCause.trim()
    ? undefined
    : 'Enter the corrected root cause.';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!rootCauseError) {
      const modifiedComponents = lines(components);
      const modifiedSteps = lines(steps);
      onSubmit({
        decision: 'modified',
        modifiedRootCause: rootCause.trim(),
        ...(sameList(modifiedComponents, props.original.affectedComponents)
          ? {}
          : { modifiedAffectedComponents: modifiedComponents }),
        ...(sameList(modifiedSteps, props.original.diagnosticSteps)
          ? {}
          : { modifiedDiagnosticSteps: modifiedSteps }),
        ...optionalComment(comment),
      });
    }
  };

  return (
    <Dialog
      open
      onClose={onCancel}
      fullWidth
      aria-labelledby="ai-triage-modify-title"
    >
      <form onSubmit={submit} noValidate>
        <DialogTitle id="ai-triage-modify-title">Modify hypothesis</DialogTitle>
        <DialogContent>
          <TextField
            id="ai-triage-modify-root-cause"
            label="Root cause"
            value={rootCause}
            onChange={event => setRootCause(event.target.value)}
            error={Boolean(rootCauseError)}
            helperText={rootCauseError}
            inputProps={{ maxLength: ROOT_CAUSE_MAX_LENGTH }}
            required
            multiline
            fullWidth
            margin="normal"
          />
          <TextField
            id="ai-triage-modify-components"
            label="Affected components"
            value={components}
            onChange={event => setComponents(event.target.value)}
            helperText="One per line."
            multiline
            fullWidth
            margin="normal"
          />
          <TextField
            id="ai-triage-modify-steps"
            label="Diagnostic steps"
            value={steps}
            onChange={event => setSteps(event.target.value)}
            helperText="One per line, in the order to check them."
            multiline
            fullWidth
            margin="normal"
          />
          <TextField
            id="ai-triage-modify-comment"
            label="Comment"
            value={comment}
            onChange={event => setComment(event.target.value)}
            helperText="Optional: what was wrong with the original hypothesis."
            inputProps={{ maxLength: COMMENT_MAX_LENGTH }}
            multiline
            fullWidth
            margin="normal"
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={onCancel}>Cancel</Button>
          <Button
            type="submit"
            color="primary"
            variant="contained"
            disabled={Boolean(rootCauseError) || submitting}
          >
            Save
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

/**
 * Asks for an optional reason before rejecting a hypothesis.
 *
 * @internal
 */
export function RejectHypothesisDialog(props: ReviewDialogProps) {
  const { submitting, onCancel, onSubmit } = props;
  const [reason, setReason] = useState('');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit({ decision: 'rejected', ...optionalComment(reason) });
  };

  return (
    <Dialog
      open
      onClose={onCancel}
      fullWidth
      aria-labelledby="ai-triage-reject-title"
    >
      <form onSubmit={submit} noValidate>
        <DialogTitle id="ai-triage-reject-title">Reject hypothesis</DialogTitle>
        <DialogContent>
          <TextField
            id="ai-triage-reject-reason"
            label="Reason"
            value={reason}
            onChange={event => setReason(event.target.value)}
            helperText="Optional: why the hypothesis is wrong."
            inputProps={{ maxLength: COMMENT_MAX_LENGTH }}
            multiline
            fullWidth
            margin="normal"
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={onCancel}>Cancel</Button>
          <Button
            type="submit"
            color="primary"
            variant="contained"
            disabled={submitting}
          >
            Reject
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
