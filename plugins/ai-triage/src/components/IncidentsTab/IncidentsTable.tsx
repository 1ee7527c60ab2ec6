import { Table, TableColumn } from '@backstage/core-components';
import { RouterLink } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import MuiLink from '@material-ui/core/Link';
import TablePagination from '@material-ui/core/TablePagination';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import { Incident } from '@ai-triage/plugin-ai-triage-common';
import { formatAge, formatTime } from '../../format';
import { SeverityChip, TriageStateLabel } from '../IncidentLabels';

export { INCIDENT_QUERY_PARAM, incidentQueryHref } from '../../routes';
import { incidentQueryHref } from '../../routes';

/** The page of the list the table shows, counted from 0. @internal */
export type IncidentsPage = {
  page: number;
  pageSize: number;
  totalCount: number;
  onPageChange: (page: number) => void;
};

function columns(options: {
  incidentHref: (incident: Incident) => string;
  showEntity: boolean;
  showOrigin: boolean;
}): TableColumn<Incident>[] {
  const originColumn: TableColumn<Incident> = {
    title: 'Probable origin',
    field: 'probableOrigin',
    render: incident => incident.probableOrigin ?? '—',
  };
  const entityColumn: TableColumn<Incident> = {
    title: 'Service',
    field: 'entityRef',
    render: incident =>
      incident.entityRef ? (
        <EntityRefLink entityRef={incident.entityRef} defaultKind="component" />
      ) : (
        <Typography variant="body2" color="textSecondary">
          {incident.serviceName} (unlinked)
        </Typography>
      ),
  };
  return [
    {
      title: 'Incident',
      field: 'title',
      cellStyle: { minWidth: 260 },
      render: incident => (
        <MuiLink component={RouterLink} href={options.incidentHref(incident)}>
          {incident.title}
        </MuiLink>
      ),
    },
    ...(options.showEntity ? [entityColumn] : []),
    ...(options.showOrigin ? [originColumn] : []),
    {
      title: 'Severity',
      field: 'severity',
      render: incident => <SeverityChip severity={incident.severity} />,
    },
    { title: 'Status', field: 'status' },
    {
      title: 'Triage',
      field: 'triageState',
      render: incident => <TriageStateLabel state={incident.triageState} />,
    },
    {
      title: 'Age',
      field: 'firstSeenAt',
      render: incident => (
        <span title={`First seen ${formatTime(incident.firstSeenAt)}`}>
          {formatAge(incident.firstSeenAt)}
        </span>
      ),
    },
    {
      title: 'Last seen',
      field: 'lastSeenAt',
      render: incident => formatTime(incident.lastSeenAt),
    },
    { title: 'Alerts', field: 'alertCount', type: 'numeric' },
  ];
}

/**
 * One page of incidents. Paging happens on the server: the table shows what it is given and
 * asks for another page through `paging.onPageChange`.
 *
 * @internal
 */
export function IncidentsTable(props: {
  incidents: Incident[];
  paging: IncidentsPage;
  selectedId?: string;
  title?: string;
  showEntity?: boolean;
  incidentHref?: (incident: Incident) => string;
}) {
  const {
    incidents,
    paging,
    selectedId,
    title = 'Incidents',
    showEntity = false,
    incidentHref = incidentQueryHref,
  } = props;
  const theme = useTheme();
  return (
    <>
      <Table<Incident>
        title={title}
        columns={columns({
          incidentHref,
          showEntity,
          // Shown once localization has named an origin for any incident listed.
          showOrigin: incidents.some(incident => incident.probableOrigin),
        })}
        data={incidents}
        options={{
          search: false,
          sorting: false,
          padding: 'dense',
          paging: false,
          rowStyle: incident =>
            incident.id === selectedId
              ? {
                  // A border marks the row; a stronger background would take the links'
                  // contrast below 4.5:1 in the dark theme (axe).
                  backgroundColor: theme.palette.action.hover,
                  boxShadow: `inset 4px 0 ${theme.palette.primary.main}`,
                }
              : {},
        }}
      />
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
    </>
  );
}
