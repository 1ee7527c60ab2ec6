import { useCallback, useState } from 'react';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { coreApis, useApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { usePermission } from '@backstage/plugin-permission-react';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import IconButton from '@material-ui/core/IconButton';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import CloseIcon from '@material-ui/icons/Close';
import ReplayIcon from '@material-ui/icons/Replay';
import {
  Incident,
  ReviewRequest,
  aiTriageHypothesisReviewPermission,
  evidenceIdsOf,
} from '@ai-triage/plugin-ai-triage-common';
import { aiTriageApiRef } from '../../api';
import { formatTime } from '../../format';
import { useIncident } from '../../hooks/useIncidents';
import {
  SeverityChip,
  TRIAGE_STATE_LABELS,
  TriageStateLabel,
  isTriageRunning,
} from '../IncidentLabels';
import { AlertsCard } from './AlertsCard';
import { ContextCard } from './ContextCard';
import { HypothesesCard } from './HypothesesCard';
import {
  CurrentRootCauseBanner,
  IncidentStatusActions,
  IncidentTicket,
} from '../IncidentStatusActions';

const useStyles = makeStyles(theme => ({
  facts: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(2),
  },
  progress: {
    marginTop: theme.spacing(2),
  },
  actions: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
  },
}));

function RetriageButton(props: { incident: Incident; onDone: () => void }) {
  const { incident, onDone } = props;
  const api = useApi(aiTriageApiRef);
  const toastApi = useApi(coreApis.toast);
  const { allowed } = usePermission({
    permission: aiTriageHypothesisReviewPermission,
    resourceRef: incident.id,
  });
  const [submitting, setSubmitting] = useState(false);
  if (!allowed) {
    return null;
  }
  const retriage = async () => {
    setSubmitting(true);
    try {
      await api.retriageIncident(incident.id);
      onDone();
    } catch (error) {
      toastApi.post({
        title: 'Re-triage was not started',
        description:
          error instanceof ResponseError ? error.cause.message : String(error),
        status: 'danger',
      });
    } finally {
      setSubmitting(false);
    }
  };
  return (
    <Button
      size="small"
      variant="outlined"
      startIcon={<ReplayIcon />}
      disabled={submitting || isTriageRunning(incident.triageState)}
      onClick={retriage}
    >
      Re-triage
    </Button>
  );
}

function IncidentSummary(props: {
  incident: Incident;
  onClose: () => void;
  onRetriaged: () => void;
}) {
  const { incident, onClose, onRetriaged } = props;
  const classes = useStyles();
  const location = [incident.serviceName, incident.namespace, incident.cluster]
    .filter(Boolean)
    .join(' / ');
  return (
    <InfoCard
      title={incident.title}
      action={
        <div className={classes.actions}>
          <RetriageButton incident={incident} onDone={onRetriaged} />
          <IconButton aria-label="Close incident" onClick={onClose}>
            <CloseIcon />
          </IconButton>
        </div>
      }
    >
      <div className={classes.facts}>
        <SeverityChip severity={incident.severity} />
        <IncidentStatusActions incident={incident} onChanged={onRetriaged} />
        <TriageStateLabel state={incident.triageState} />
        <Typography variant="body2">{location}</Typography>
        <Typography variant="body2" color="textSecondary">
          First seen {formatTime(incident.firstSeenAt)}, last seen{' '}
          {formatTime(incident.lastSeenAt)}
        </Typography>
      </div>
      {isTriageRunning(incident.triageState) && (
        <div className={classes.progress}>
          <LinearProgress aria-label="Triage progress" />
          <Typography variant="caption" color="textSecondary">
            Triage in progress: {TRIAGE_STATE_LABELS[incident.triageState]}
          </Typography>
        </div>
      )}
    </InfoCard>
  );
}

/**
 * One incident: the alerts, the context the reasoner saw and its hypotheses, side by side.
 *
 * @internal
 */
export function IncidentDetail(props: {
  incidentId: string;
  onClose: () => void;
}) {
  const { incidentId, onClose } = props;
  const api = useApi(aiTriageApiRef);
  const { value: detail, error, reload } = useIncident(incidentId);
  const [highlightedEvidenceId, setHighlightedEvidenceId] = useState<string>();

  const review = useCallback(
    async (hypothesisId: string, request: ReviewRequest) => {
      await api.reviewHypothesis(incidentId, hypothesisId, request);
      reload();
    },
    [api, incidentId, reload],
  );

  const toggleEvidence = useCallback(
    (evidenceId: string) =>
      setHighlightedEvidenceId(current =>
        current === evidenceId ? undefined : evidenceId,
      ),
    [],
  );

  if (!detail) {
    return error ? <ResponseErrorPanel error={error} /> : <Progress />;
  }

  const triageRunning = isTriageRunning(detail.incident.triageState);
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <IncidentSummary
          incident={detail.incident}
          onClose={onClose}
          onRetriaged={reload}
        />
      </Grid>
      <Grid item xs={12}>
        <CurrentRootCauseBanner workflow={detail.workflow} />
        <IncidentTicket
          incidentId={incidentId}
          ticket={detail.workflow?.ticket ?? null}
          onChanged={reload}
        />
      </Grid>
      {error && (
        <Grid item xs={12}>
          <ResponseErrorPanel
            title="The incident could not be refreshed; showing the last answer"
            error={error}
          />
        </Grid>
      )}
      <Grid item xs={12} md={4}>
        <AlertsCard alerts={detail.alerts} />
      </Grid>
      <Grid item xs={12} md={4}>
        <ContextCard
          context={detail.context}
          triageRunning={triageRunning}
          highlightedEvidenceId={highlightedEvidenceId}
        />
      </Grid>
      <Grid item xs={12} md={4}>
        <HypothesesCard
          detail={detail}
          knownEvidenceIds={
            detail.context ? evidenceIdsOf(detail.context) : new Set<string>()
          }
          highlightedEvidenceId={highlightedEvidenceId}
          onEvidenceClick={toggleEvidence}
          onReview={review}
        />
      </Grid>
    </Grid>
  );
}
