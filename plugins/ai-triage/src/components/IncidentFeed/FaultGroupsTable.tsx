import { Fragment, useState } from 'react';
import { RouterLink } from '@backstage/frontend-plugin-api';
import IconButton from '@material-ui/core/IconButton';
import MuiLink from '@material-ui/core/Link';
import Paper from '@material-ui/core/Paper';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableContainer from '@material-ui/core/TableContainer';
import TableHead from '@material-ui/core/TableHead';
import TablePagination from '@material-ui/core/TablePagination';
import TableRow from '@material-ui/core/TableRow';
import TableSortLabel from '@material-ui/core/TableSortLabel';
import Toolbar from '@material-ui/core/Toolbar';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import KeyboardArrowRightIcon from '@material-ui/icons/KeyboardArrowRight';
import {
  Incident,
  SEVERITIES,
  Severity,
} from '@ai-triage/plugin-ai-triage-common';
import { IncidentGroupRow } from '../../api';
import { formatAge, formatProbability, formatTime } from '../../format';
import { SeverityChip, TriageStateLabel } from '../IncidentLabels';
import { IncidentsPage } from '../IncidentsTab/IncidentsTable';

/** The columns the feed sorts by. */
export const SORT_KEYS = [
  'lastSeen',
  'origin',
  'probability',
  'review',
  'severity',
  'incidents',
] as const;
/** @internal */
export type SortKey = (typeof SORT_KEYS)[number];
/** @internal */
export type Sort = { key: SortKey; direction: 'asc' | 'desc' } | null;

const useStyles = makeStyles(theme => ({
  selected: {
    backgroundColor: theme.palette.action.hover,
    boxShadow: `inset 4px 0 ${theme.palette.primary.main}`,
  },
  member: {
    '& > td:nth-child(2)': {
      paddingLeft: theme.spacing(4),
    },
  },
  hypothesis: {
    minWidth: 180,
    maxWidth: 320,
  },
  // Alert titles are long words ("HighErrorRatio on storefront"): without a width of their
  // own, and broken anywhere, the hypothesis column squeezed them to a few letters a line.
  fault: {
    minWidth: 150,
    wordBreak: 'normal',
    overflowWrap: 'normal',
    '& a': {
      wordBreak: 'normal',
      overflowWrap: 'normal',
    },
  },
  // Headers and short cells stay on one line; the hypothesis column takes the wrapping.
  nowrap: {
    whiteSpace: 'nowrap',
  },
  srOnly: {
    position: 'absolute',
    width: 1,
    height: 1,
    overflow: 'hidden',
    clip: 'rect(0 0 0 0)',
    whiteSpace: 'nowrap',
  },
}));

const REVIEW_LABELS = {
  accepted: 'Accepted',
  modified: 'Modified',
  rejected: 'Rejected',
};

/** Where a row's top hypothesis stands with reviewers. */
function reviewStateOf(row: IncidentGroupRow): string {
  if (!row.topHypothesis) return '—';
  const decision = row.topHypothesis.reviewDecision;
  return decision ? REVIEW_LABELS[decision] : 'Unreviewed';
}

/** The most severe severity among the group's incidents. */
function severityOf(row: IncidentGroupRow): Severity {
  return row.members
    .map(m => m.severity)
    .sort((a, b) => SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b))[0];
}

function lastSeenOf(row: IncidentGroupRow): string {
  return (
    row.members
      .map(m => m.lastSeenAt)
      .sort()
      .at(-1) ?? row.lead.lastSeenAt
  );
}

const SORT_VALUES: Record<SortKey, (row: IncidentGroupRow) => string | number> =
  {
    lastSeen: row => lastSeenOf(row),
    origin: row => row.probableOrigin ?? '',
    probability: row => row.topHypothesis?.probability ?? -1,
    review: row => reviewStateOf(row),
    // Most severe first when descending.
    severity: row => SEVERITIES.length - SEVERITIES.indexOf(severityOf(row)),
    incidents: row => row.members.length,
  };

/** The rows in the order the reader asked for; the API's order without a sort. */
function sortRows(rows: IncidentGroupRow[], sort: Sort): IncidentGroupRow[] {
  if (!sort) return rows;
  const value = SORT_VALUES[sort.key];
  const sign = sort.direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === y) return 0;
    return (x < y ? -1 : 1) * sign;
  });
}

const COLUMNS: Array<{ key: SortKey | null; title: string }> = [
  { key: null, title: 'Fault' },
  { key: 'origin', title: 'Probable origin' },
  { key: 'probability', title: 'Top hypothesis' },
  { key: 'review', title: 'Review' },
  { key: 'severity', title: 'Severity' },
  { key: null, title: 'Triage' },
  { key: 'lastSeen', title: 'Last seen' },
  { key: 'incidents', title: 'Incidents' },
];

function hypothesisText(row: IncidentGroupRow): string {
  const top = row.topHypothesis;
  if (!top) {
    return row.lead.triageState === 'triaged' ? 'No hypothesis' : '—';
  }
  const likelihood =
    top.probability === undefined
      ? `${top.confidence} confidence`
      : formatProbability(top.probability);
  return `${top.rootCause} · ${likelihood}`;
}

/**
 * The feed, one row per fault group: the lead incident, the probable origin, the lead's top
 * hypothesis with its probability and review state. A group expands to its incidents; columns
 * sort through `onSortChange` (the page keeps the sort in the URL).
 *
 * @internal
 */
export function FaultGroupsTable(props: {
  title: string;
  rows: IncidentGroupRow[];
  sort: Sort;
  onSortChange: (sort: Sort) => void;
  paging: IncidentsPage;
  incidentHref: (incident: Incident) => string;
  selectedId?: string;
}) {
  const { title, rows, sort, onSortChange, paging, incidentHref, selectedId } =
    props;
  const classes = useStyles();
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setExpanded(previous => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const titleId = 'ai-triage-feed-title';

  const link = (incident: Incident) => (
    <MuiLink component={RouterLink} href={incidentHref(incident)}>
      {incident.title}
    </MuiLink>
  );

  return (
    <Paper>
      <Toolbar>
        <Typography variant="h5" component="h2" id={titleId}>
          {title}
        </Typography>
      </Toolbar>
      {/* A narrow window scrolls the table, not the page. */}
      <TableContainer>
        <Table size="small" aria-labelledby={titleId}>
          <TableHead>
            <TableRow>
              <TableCell padding="checkbox">
                <span className={classes.srOnly}>Expand</span>
              </TableCell>
              {COLUMNS.map(column => (
                <TableCell
                  key={column.title}
                  className={classes.nowrap}
                  sortDirection={
                    column.key && sort?.key === column.key
                      ? sort.direction
                      : false
                  }
                >
                  {column.key ? (
                    <TableSortLabel
                      active={sort?.key === column.key}
                      direction={
                        sort?.key === column.key ? sort.direction : 'desc'
                      }
                      onClick={() =>
                        onSortChange({
                          key: column.key!,
                          direction:
                            sort?.key === column.key &&
                            sort.direction === 'desc'
                              ? 'asc'
                              : 'desc',
                        })
                      }
                    >
                      {column.title}
                    </TableSortLabel>
                  ) : (
                    column.title
                  )}
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {sortRows(rows, sort).map(row => {
              const open = expanded.has(row.id);
              const others = row.members.length - 1;
              return (
                <Fragment key={row.id}>
                  <TableRow
                    data-group-id={row.id}
                    className={
                      row.members.some(m => m.id === selectedId)
                        ? classes.selected
                        : undefined
                    }
                  >
                    <TableCell padding="checkbox">
                      {others > 0 && (
                        <IconButton
                          size="small"
                          aria-expanded={open}
                          aria-label={`${open ? 'Hide' : 'Show'} the ${
                            row.members.length
                          } incidents of ${row.lead.title}`}
                          onClick={() => toggle(row.id)}
                        >
                          {open ? (
                            <ExpandMoreIcon />
                          ) : (
                            <KeyboardArrowRightIcon />
                          )}
                        </IconButton>
                      )}
                    </TableCell>
                    <TableCell className={classes.fault}>
                      {link(row.lead)}
                      {others > 0 && (
                        <Typography
                          variant="caption"
                          color="textSecondary"
                          component="div"
                        >
                          and {others} more:{' '}
                          {row.members
                            .slice(1)
                            .map(m => m.serviceName)
                            .join(', ')}
                        </Typography>
                      )}
                    </TableCell>
                    <TableCell>{row.probableOrigin ?? '—'}</TableCell>
                    <TableCell className={classes.hypothesis}>
                      {hypothesisText(row)}
                    </TableCell>
                    <TableCell className={classes.nowrap}>
                      {reviewStateOf(row)}
                    </TableCell>
                    <TableCell>
                      <SeverityChip severity={severityOf(row)} />
                    </TableCell>
                    <TableCell className={classes.nowrap}>
                      <TriageStateLabel state={row.lead.triageState} />
                    </TableCell>
                    <TableCell className={classes.nowrap}>
                      <span title={formatTime(lastSeenOf(row))}>
                        {formatAge(lastSeenOf(row))} ago
                      </span>
                    </TableCell>
                    <TableCell align="right">{row.members.length}</TableCell>
                  </TableRow>
                  {open &&
                    row.members.map(member => (
                      <TableRow
                        key={member.id}
                        className={`${classes.member} ${
                          member.id === selectedId ? classes.selected : ''
                        }`}
                        data-member-of={row.id}
                      >
                        <TableCell padding="checkbox" />
                        <TableCell className={classes.fault}>
                          {link(member)}
                        </TableCell>
                        <TableCell>
                          {member.serviceName}
                          {member.faultGroupLead ? ' (lead)' : ''}
                        </TableCell>
                        <TableCell />
                        <TableCell />
                        <TableCell>
                          <SeverityChip severity={member.severity} />
                        </TableCell>
                        <TableCell className={classes.nowrap}>
                          <TriageStateLabel state={member.triageState} />
                        </TableCell>
                        <TableCell className={classes.nowrap}>
                          <span title={formatTime(member.lastSeenAt)}>
                            {formatAge(member.lastSeenAt)} ago
                          </span>
                        </TableCell>
                        <TableCell />
                      </TableRow>
                    ))}
                </Fragment>
              );
            })}
          </TableBody>
        </Table>
      </TableContainer>
      {paging.totalCount > paging.pageSize && (
        <TablePagination
          component="div"
          count={paging.totalCount}
          page={paging.page}
          rowsPerPage={paging.pageSize}
          rowsPerPageOptions={[]}
          onPageChange={(_event, page) => paging.onPageChange(page)}
        />
      )}
    </Paper>
  );
}
