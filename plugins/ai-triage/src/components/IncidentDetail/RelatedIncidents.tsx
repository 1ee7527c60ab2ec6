import { InfoCard } from '@backstage/core-components';
import { RouterLink } from '@backstage/frontend-plugin-api';
import MuiLink from '@material-ui/core/Link';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import { formatTime } from '../../format';
import { useIncidentHref } from '../../hooks/useIncidentHref';
import { makeStyles } from '@material-ui/core/styles';
import { SeverityChip, TRIAGE_STATE_LABELS } from '../IncidentLabels';

const useStyles = makeStyles({
  // The theme cuts list items to one line; titles are read in full here.
  text: {
    whiteSpace: 'normal',
    overflowWrap: 'anywhere',
  },
});

/**
 * The fault group's other incidents: the same fault seen from other services, lead first.
 *
 * @internal
 */
export function RelatedIncidents(props: { detail: IncidentDetailResponse }) {
  const { faultGroup, incident } = props.detail;
  const related = props.detail.relatedIncidents ?? [];
  const href = useIncidentHref();
  const classes = useStyles();
  if (!faultGroup && related.length === 0) {
    return null;
  }
  const leads = incident.faultGroupLead
    ? 'This incident leads the group: its triage is the group’s.'
    : 'The lead incident’s triage answers for the group.';
  return (
    <InfoCard
      title="Related incidents"
      subheader={
        faultGroup
          ? `One fault, ${
              faultGroup.memberIncidentIds.length
            } incidents: probable origin ${
              faultGroup.origin
            }, since ${formatTime(faultGroup.firstSeenAt)}`
          : undefined
      }
    >
      <Typography variant="body2" color="textSecondary">
        {leads}
      </Typography>
      {related.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          No other incident in the group.
        </Typography>
      ) : (
        <List dense aria-label="Related incidents">
          {related.map(other => (
            <ListItem key={other.id} disableGutters>
              <ListItemText
                className={classes.text}
                primary={
                  <MuiLink component={RouterLink} href={href(other)}>
                    {other.title}
                  </MuiLink>
                }
                secondary={
                  <>
                    {other.serviceName}
                    {other.faultGroupLead ? ' · lead' : ''} ·{' '}
                    {TRIAGE_STATE_LABELS[other.triageState]} · first seen{' '}
                    {formatTime(other.firstSeenAt)}
                  </>
                }
              />
              <SeverityChip severity={other.severity} />
            </ListItem>
          ))}
        </List>
      )}
    </InfoCard>
  );
}
