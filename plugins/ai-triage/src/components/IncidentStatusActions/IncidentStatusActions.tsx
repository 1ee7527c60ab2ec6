import { useState } from 'react';
import { coreApis, useApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { usePermission } from '@backstage/plugin-permission-react';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import Paper from '@material-ui/core/Paper';
import {
  Incident,
  IncidentStatus,
  IncidentWorkflow,
  aiTriageIncidentStatusPermission,
} from '@ai-triage/plugin-ai-triage-common';
import { aiTriageApiRef } from '../../api';
import { formatTime } from '../../format';

const useStyles = makeStyles(theme => ({
  actions: {
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(1),
  },
  banner: {
    padding: theme.spacing(2),
    borderLeft: `4px solid ${theme.palette.success.main}`,
  },
  steps: {
    margin: theme.spacing(0.5, 0, 0),
    paddingLeft: theme.spacing(3),
  },
}));

/** The changes offered from each status. */
const NEXT: Record<
  IncidentStatus,
  Array<{ status: IncidentStatus; label: string }>
> = {
  open: [
    { status: 'acknowledged', label: 'Acknowledge' },
    { status: 'resolved', label: 'Resolve' },
  ],
  acknowledged: [{ status: 'resolved', label: 'Resolve' }],
  resolved: [{ status: 'open', label: 'Reopen' }],
};

/**
 * The incident's status with Acknowledge, Resolve and Reopen buttons for users with the
 * `ai-triage.incident.status` permission; shown in the incident view of the tab and the feed.
 * `compact` renders small text buttons (for lists).
 *
 * @internal
 */
export function IncidentStatusActions(props: {
  incident: Incident;
  onChanged?: () => void;
  compact?: boolean;
}) {
  const { incident, onChanged, compact } = props;
  const classes = useStyles();
  const api = useApi(aiTriageApiRef);
  const toastApi = useApi(coreApis.toast);
  const { allowed } = usePermission({
    permission: aiTriageIncidentStatusPermission,
    resourceRef: incident.id,
  });
  const [status, setStatus] = useState<IncidentStatus>(incident.status);
  const [submitting, setSubmitting] = useState(false);
  // A newer answer from the server wins over the local change.
  const [seen, setSeen] = useState(incident.status);
  if (seen !== incident.status) {
    setSeen(incident.status);
    setStatus(incident.status);
  }

  const change = async (next: IncidentStatus) => {
    setSubmitting(true);
    try {
      const { incident: updated } = await api.setIncidentStatus(incident.id, {
        status: next,
      });
      setStatus(updated.status);
      onChanged?.();
    } catch (error) {
      toastApi.post({
        title: 'The status was not changed',
        description:
          error instanceof ResponseError ? error.cause.message : String(error),
        status: 'danger',
      });
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <span className={classes.actions}>
      <Typography variant="body2" component="span">
        {compact ? status : `Status: ${status}`}
      </Typography>
      {allowed &&
        NEXT[status].map(({ status: next, label }) => (
          <Button
            key={next}
            size="small"
            variant={compact ? 'text' : 'outlined'}
            color={next === 'acknowledged' ? 'primary' : 'default'}
            disabled={submitting}
            onClick={event => {
              // In a table row the row itself links to the incident.
              event.stopPropagation();
              event.preventDefault();
              change(next);
            }}
            aria-label={`${label} ${incident.title}`}
          >
            {label}
          </Button>
        ))}
    </span>
  );
}

/**
 * The incident's current root cause (the last accepted or modified hypothesis) and who set its
 * status, shown at the top of the incident.
 *
 * @internal
 */
export function CurrentRootCauseBanner(props: { workflow?: IncidentWorkflow }) {
  const { workflow } = props;
  const classes = useStyles();
  if (!workflow) {
    return null;
  }
  const { currentRootCause, statusChangedBy, statusChangedAt } = workflow;
  if (!currentRootCause && !statusChangedBy) {
    return null;
  }
  return (
    <Paper
      className={classes.banner}
      role="region"
      aria-label="Current root cause"
    >
      {currentRootCause && (
        <>
          <Typography variant="overline">Current root cause</Typography>
          <Typography variant="h6">{currentRootCause.rootCause}</Typography>
          {currentRootCause.diagnosticSteps.length > 0 && (
            <ol className={classes.steps}>
              {currentRootCause.diagnosticSteps.map(step => (
                <li key={step}>
                  <Typography variant="body2">{step}</Typography>
                </li>
              ))}
            </ol>
          )}
          <Typography variant="caption" color="textSecondary">
            {currentRootCause.decision === 'modified'
              ? 'Accepted with changes'
              : 'Accepted'}{' '}
            by {currentRootCause.reviewer},{' '}
            {formatTime(currentRootCause.reviewedAt)}
          </Typography>
        </>
      )}
      {statusChangedBy && statusChangedAt && (
        <Typography variant="caption" color="textSecondary" component="div">
          Status set by {statusChangedBy}, {formatTime(statusChangedAt)}
        </Typography>
      )}
    </Paper>
  );
}
