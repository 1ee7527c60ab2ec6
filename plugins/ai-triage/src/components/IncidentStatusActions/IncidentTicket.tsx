import { useState } from 'react';
import { coreApis, useApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { usePermission } from '@backstage/plugin-permission-react';
import Button from '@material-ui/core/Button';
import Link from '@material-ui/core/Link';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  TicketRef,
  aiTriageIncidentStatusPermission,
} from '@ai-triage/plugin-ai-triage-common';
import { aiTriageApiRef } from '../../api';

const useStyles = makeStyles(theme => ({
  row: {
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
  },
  // The theme's secondary text colour is too faint for a label on the field's background (axe
  // color-contrast in the end-to-end test).
  label: {
    color: theme.palette.text.primary,
  },
}));

/** The ticket as people name it, and a link where one can be made without configuration. */
function describeTicket(ticket: TicketRef): {
  label: string;
  href?: string;
} {
  switch (ticket.system) {
    case 'github':
      return {
        label: `${ticket.owner}/${ticket.repo}#${ticket.issueNumber}`,
        href: `https://github.com/${ticket.owner}/${ticket.repo}/issues/${ticket.issueNumber}`,
      };
    case 'jira':
      return { label: `Jira ${ticket.issueKey}` };
    default:
      return { label: `PagerDuty ${ticket.incidentId}` };
  }
}

/**
 * The incident's ticket (where an accepted root cause is posted), and for users with the
 * `ai-triage.incident.status` permission a field to set it: a GitHub issue URL, a Jira key or
 * URL, a PagerDuty incident URL or `pagerduty:<id>`.
 *
 * @internal
 */
export function IncidentTicket(props: {
  incidentId: string;
  ticket: TicketRef | null;
  onChanged?: () => void;
}) {
  const { incidentId, ticket, onChanged } = props;
  const classes = useStyles();
  const api = useApi(aiTriageApiRef);
  const toastApi = useApi(coreApis.toast);
  const { allowed } = usePermission({
    permission: aiTriageIncidentStatusPermission,
    resourceRef: incidentId,
  });
  const [text, setText] = useState('');
  const [saving, setSaving] = useState(false);
  const shown = ticket && describeTicket(ticket);

  const save = async () => {
    setSaving(true);
    try {
      await api.setIncidentTicket(incidentId, text.trim() || null);
      setText('');
      onChanged?.();
    } catch (error) {
      toastApi.post({
        title: 'The ticket was not set',
        description:
          error instanceof ResponseError ? error.cause.message : String(error),
        status: 'danger',
      });
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className={classes.row}>
      <Typography variant="body2" component="span">
        Ticket:{' '}
        {shown?.href && (
          <Link href={shown.href} target="_blank" rel="noopener noreferrer">
            {shown.label}
          </Link>
        )}
        {shown && !shown.href && shown.label}
        {!shown && 'none'}
      </Typography>
      {allowed && (
        <>
          <TextField
            size="small"
            variant="outlined"
            label="Issue URL, Jira key or PagerDuty URL"
            InputLabelProps={{ className: classes.label }}
            value={text}
            onChange={event => setText(event.target.value)}
            inputProps={{ 'aria-label': 'Ticket' }}
          />
          <Button
            size="small"
            variant="outlined"
            disabled={saving || (!text.trim() && !ticket)}
            onClick={save}
          >
            {text.trim() || !ticket ? 'Set ticket' : 'Clear ticket'}
          </Button>
        </>
      )}
    </div>
  );
}
