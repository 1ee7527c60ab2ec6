import { Table, TableColumn } from '@backstage/core-components';
import { RouterLink } from '@backstage/frontend-plugin-api';
import MuiLink from '@material-ui/core/Link';
import { useTheme } from '@material-ui/core/styles';
import { Incident } from '@ai-triage/plugin-ai-triage-common';
import { formatTime } from '../../format';
import { SeverityChip, TriageStateLabel } from '../IncidentLabels';

const PAGE_SIZE = 10;

/** The query parameter that holds the selected incident, so a reload shows it again. */
export const INCIDENT_QUERY_PARAM = 'incident';

const columns: TableColumn<Incident>[] = [
  {
    title: 'Incident',
    field: 'title',
    render: incident => (
      <MuiLink
        component={RouterLink}
        href={`?${new URLSearchParams({
          [INCIDENT_QUERY_PARAM]: incident.id,
        })}`}
      >
        {incident.title}
      </MuiLink>
    ),
  },
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
    title: 'First seen',
    field: 'firstSeenAt',
    render: incident => formatTime(incident.firstSeenAt),
  },
  {
    title: 'Last seen',
    field: 'lastSeenAt',
    render: incident => formatTime(incident.lastSeenAt),
  },
  { title: 'Alerts', field: 'alertCount', type: 'numeric' },
];

/** @internal */
export function IncidentsTable(props: {
  incidents: Incident[];
  selectedId?: string;
}) {
  const { incidents, selectedId } = props;
  const theme = useTheme();
  return (
    <Table<Incident>
      title="Incidents"
      columns={columns}
      data={incidents}
      options={{
        search: false,
        padding: 'dense',
        paging: incidents.length > PAGE_SIZE,
        pageSize: PAGE_SIZE,
        rowStyle: incident =>
          incident.id === selectedId
            ? { backgroundColor: theme.palette.action.selected }
            : {},
      }}
    />
  );
}
