import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  IncidentDetailResponse,
  ReviewRequest,
  confidenceOf,
} from '@ai-triage/plugin-ai-triage-common';
import { formatClock, formatProbability, formatTime } from '../../format';
import { isTriageRunning } from '../IncidentLabels';
import { headlineOf } from './headline';
import { ReviewActions } from './ReviewActions';

const useStyles = makeStyles(theme => ({
  root: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: theme.spacing(2),
    padding: theme.spacing(2, 3),
    borderLeft: `6px solid ${theme.palette.error.main}`,
  },
  pending: {
    borderLeftColor: theme.palette.divider,
  },
  text: {
    flex: '1 1 420px',
    minWidth: 0,
  },
  line: {
    fontWeight: theme.typography.fontWeightBold as number,
  },
}));

const SINCE_SOURCES = {
  onset: 'the onset found on the alerted service',
  alert: 'the first alert (no onset was found)',
  'first-seen': 'when the incident was first seen',
};

/**
 * The incident in one line: the probable origin, the kind of fault, since when and how likely,
 * with Accept / Modify / Reject for the hypothesis it comes from.
 *
 * @internal
 */
export function Headline(props: {
  detail: IncidentDetailResponse;
  canReview: boolean;
  onReview: (hypothesisId: string, request: ReviewRequest) => Promise<void>;
}) {
  const { detail, canReview, onReview } = props;
  const classes = useStyles();
  const headline = headlineOf(detail);

  if (!headline) {
    let text = 'No probable origin: the reasoner named no cause.';
    if (isTriageRunning(detail.incident.triageState)) {
      text = 'Looking for the probable origin…';
    } else if (detail.insufficientEvidence) {
      text = 'No probable origin: the context holds too little evidence.';
    }
    return (
      <Paper
        className={`${classes.root} ${classes.pending}`}
        role="region"
        aria-label="Headline"
      >
        <Typography variant="h6" component="p" className={classes.line}>
          {text}
        </Typography>
      </Paper>
    );
  }

  const { hypothesis, probability } = headline;
  const line = `${headline.statement} since ${formatClock(headline.since)}${
    probability === null ? '' : ` · ${formatProbability(probability)}`
  }`;
  const confidence =
    probability === null ? hypothesis.confidence : confidenceOf(probability);
  const onset = detail.context?.onset;
  const caveats: string[] = [];
  if (onset && !onset.baselineSufficient) {
    caveats.push(
      'The baseline before the onset was missing or too short, so no change counts as evidence.',
    );
  }
  if (confidence === 'low') {
    caveats.push('Low probability: a lead to check, not a finding.');
  }
  const review = hypothesis.review;

  return (
    <Paper className={classes.root} role="region" aria-label="Headline">
      <div className={classes.text}>
        <Typography
          variant="h5"
          component="p"
          className={classes.line}
          title={`Since ${formatTime(headline.since)}: ${
            SINCE_SOURCES[headline.sinceSource]
          }`}
        >
          {line}
        </Typography>
        <Typography variant="body2" color="textSecondary">
          {[
            headline.kind && `Kind: ${headline.kind}`,
            `${confidence} confidence`,
            `top hypothesis: ${
              review?.modifiedRootCause ?? hypothesis.rootCause
            }`,
          ]
            .filter(Boolean)
            .join(' · ')}
        </Typography>
        {caveats.map(caveat => (
          <Typography key={caveat} variant="body2" color="textSecondary">
            {caveat}
          </Typography>
        ))}
        {review && (
          <Typography variant="body2">
            {review.decision === 'accepted' && 'Accepted'}
            {review.decision === 'modified' && 'Modified'}
            {review.decision === 'rejected' && 'Rejected'} by{' '}
            <EntityRefLink entityRef={review.reviewer} defaultKind="user" />
          </Typography>
        )}
      </div>
      <ReviewActions
        hypothesis={hypothesis}
        canReview={canReview}
        onReview={onReview}
        ariaLabelSuffix="top hypothesis"
      />
    </Paper>
  );
}
