import { InfoCard } from '@backstage/core-components';
import { Link } from '@backstage/ui';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { StoredAlert } from '@ai-triage/plugin-ai-triage-common';
import { formatTime } from '../../format';
import { SeverityChip } from '../IncidentLabels';

const useStyles = makeStyles(theme => ({
  alert: {
    '& + &': {
      borderTop: `1px solid ${theme.palette.divider}`,
      paddingTop: theme.spacing(2),
      marginTop: theme.spacing(2),
    },
  },
  heading: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
  },
  labels: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5),
    margin: theme.spacing(1, 0),
  },
}));

/** Only web links are rendered; a sender could put any scheme into `generatorURL`. */
function isWebUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

function AlertItem(props: { alert: StoredAlert }) {
  const { alert } = props;
  const classes = useStyles();
  const { summary, description } = alert.annotations;
  return (
    <div className={classes.alert}>
      <div className={classes.heading}>
        <Typography variant="subtitle1" component="h3">
          {alert.name}
        </Typography>
        <SeverityChip severity={alert.severity} />
        <Chip size="small" variant="outlined" label={alert.status} />
      </div>
      <Typography variant="caption" color="textSecondary" component="p">
        Started {formatTime(alert.startsAt)}
        {alert.endsAt && `, ended ${formatTime(alert.endsAt)}`}
      </Typography>
      {summary && <Typography variant="body2">{summary}</Typography>}
      {description && (
        <Typography variant="body2" color="textSecondary">
          {description}
        </Typography>
      )}
      <div className={classes.labels}>
        {Object.entries(alert.labels).map(([key, value]) => (
          <Chip
            key={key}
            size="small"
            variant="outlined"
            label={`${key}=${value}`}
          />
        ))}
      </div>
      {alert.generatorURL && isWebUrl(alert.generatorURL) && (
        <Link
          href={alert.generatorURL}
          target="_blank"
          rel="noopener noreferrer"
        >
          Open in the alert's source
        </Link>
      )}
    </div>
  );
}

/** The alerts grouped into the incident, as they arrived. @internal */
export function AlertsCard(props: { alerts: StoredAlert[] }) {
  const { alerts } = props;
  return (
    <InfoCard
      title="Alerts"
      subheader={`${alerts.length} alert${alerts.length === 1 ? '' : 's'}`}
      variant="gridItem"
    >
      {alerts.length === 0 ? (
        <Typography color="textSecondary">No alerts are stored.</Typography>
      ) : (
        alerts.map(alert => <AlertItem key={alert.id} alert={alert} />)
      )}
    </InfoCard>
  );
}
