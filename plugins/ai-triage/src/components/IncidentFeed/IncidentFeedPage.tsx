import { useEffect, useState } from 'react';
import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi, useAppSearchParams } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import Checkbox from '@material-ui/core/Checkbox';
import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Switch from '@material-ui/core/Switch';
import Grid from '@material-ui/core/Grid';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import { makeStyles } from '@material-ui/core/styles';
import {
  INCIDENT_STATUSES,
  Incident,
  IncidentListQuery,
  SEVERITIES,
} from '@ai-triage/plugin-ai-triage-common';
import { Container } from '@backstage/ui';
import { useIncidentHref } from '../../hooks/useIncidentHref';
import { useIncidentGroups, useIncidents } from '../../hooks/useIncidents';
import { IncidentDetail } from '../IncidentDetail';
import {
  INCIDENT_QUERY_PARAM,
  IncidentsPage,
  IncidentsTable,
} from '../IncidentsTab/IncidentsTable';
import { FaultGroupsTable, SORT_KEYS, Sort, SortKey } from './FaultGroupsTable';

/** Incidents per page of the feed. */
const FEED_PAGE_SIZE = 25;

const FILTERS = ['owner', 'system', 'severity', 'status'] as const;
type FilterName = (typeof FILTERS)[number];

const useStyles = makeStyles(theme => ({
  filters: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(2),
  },
  select: {
    minWidth: 180,
  },
}));

/** Groups and systems of the catalog, the choices of the owner and system filters. */
function useFilterChoices() {
  const catalogApi = useApi(catalogApiRef);
  const [choices, setChoices] = useState<{
    owners: string[];
    systems: string[];
  }>({ owners: [], systems: [] });
  useEffect(() => {
    let cancelled = false;
    catalogApi
      .getEntities({
        filter: { kind: ['Group', 'System'] },
        fields: ['kind', 'metadata.name', 'metadata.namespace'],
      })
      .then(({ items }) => {
        if (cancelled) return;
        const refs = (kind: string) =>
          items
            .filter(e => e.kind.toLocaleLowerCase('en-US') === kind)
            .map(e => stringifyEntityRef(e))
            .sort();
        setChoices({ owners: refs('group'), systems: refs('system') });
      })
      // Without the catalog the filters still take what is in the URL.
      .catch(() => {});
    return () => {
      cancelled = true;
    };
  }, [catalogApi]);
  return choices;
}

function FilterSelect(props: {
  name: FilterName;
  label: string;
  value: string;
  choices: readonly string[];
  onChange: (name: FilterName, value: string) => void;
}) {
  const { name, label, value, choices, onChange } = props;
  const classes = useStyles();
  const id = `ai-triage-feed-${name}`;
  // A value from the URL that the catalog did not list stays selectable.
  const options =
    value && !choices.includes(value) ? [value, ...choices] : choices;
  return (
    <FormControl className={classes.select} size="small">
      <InputLabel id={`${id}-label`}>{label}</InputLabel>
      <Select
        labelId={`${id}-label`}
        id={id}
        value={value}
        onChange={event => onChange(name, String(event.target.value))}
      >
        <MenuItem value="">
          <em>Any</em>
        </MenuItem>
        {options.map(option => (
          <MenuItem key={option} value={option}>
            {option}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
}

type FeedListProps = {
  query: IncidentListQuery;
  page: number;
  selectedId?: string;
  incidentHref: (incident: Incident) => string;
  update: (changes: Record<string, string | undefined>) => void;
};

const NO_MATCH = (
  <EmptyState
    missing="data"
    title="No incidents match"
    description="Incidents appear here as soon as an alert arrives; change the filters to see more."
  />
);

function StaleAnswer(props: { error?: Error }) {
  return props.error ? (
    <Grid item xs={12}>
      <ResponseErrorPanel
        title="The incident list could not be refreshed; showing the last answer"
        error={props.error}
      />
    </Grid>
  ) : null;
}

function pagingOf(props: FeedListProps, totalCount: number): IncidentsPage {
  return {
    page: props.page,
    pageSize: FEED_PAGE_SIZE,
    totalCount,
    onPageChange: p => props.update({ page: p ? String(p) : undefined }),
  };
}

/** The feed with one row per fault group. */
function GroupedFeed(props: FeedListProps & { sort: Sort }) {
  const { value, error } = useIncidentGroups(props.query);
  if (!value) {
    return (
      <Grid item xs={12}>
        {error ? <ResponseErrorPanel error={error} /> : <Progress />}
      </Grid>
    );
  }
  return (
    <>
      <StaleAnswer error={error} />
      <Grid item xs={12}>
        {value.items.length === 0 && props.page === 0 ? (
          NO_MATCH
        ) : (
          <FaultGroupsTable
            title={`Faults (${value.totalCount})`}
            rows={value.items}
            sort={props.sort}
            onSortChange={sort =>
              props.update({
                sort: sort?.key,
                dir: sort?.direction === 'asc' ? 'asc' : undefined,
              })
            }
            paging={pagingOf(props, value.totalCount)}
            incidentHref={props.incidentHref}
            selectedId={props.selectedId}
          />
        )}
      </Grid>
    </>
  );
}

/** The feed with every incident on its own row. */
function FlatFeed(props: FeedListProps) {
  const { value, error } = useIncidents(props.query);
  if (!value) {
    return (
      <Grid item xs={12}>
        {error ? <ResponseErrorPanel error={error} /> : <Progress />}
      </Grid>
    );
  }
  return (
    <>
      <StaleAnswer error={error} />
      <Grid item xs={12}>
        {value.items.length === 0 && props.page === 0 ? (
          NO_MATCH
        ) : (
          <IncidentsTable
            title={`Incidents (${value.totalCount})`}
            incidents={value.items}
            selectedId={props.selectedId}
            showEntity
            incidentHref={props.incidentHref}
            paging={pagingOf(props, value.totalCount)}
          />
        )}
      </Grid>
    </>
  );
}

/** The sort in the URL (`sort=probability&dir=asc`), or null for the API's order. */
function sortFrom(searchParams: URLSearchParams): Sort {
  const key = searchParams.get('sort');
  if (!key || !(SORT_KEYS as readonly string[]).includes(key)) {
    return null;
  }
  return {
    key: key as SortKey,
    direction: searchParams.get('dir') === 'asc' ? 'asc' : 'desc',
  };
}

/**
 * Every incident across the catalog, one row per fault group by default, filterable by owner,
 * system, severity, status and whether it is linked to an entity. Filters, grouping, sort and
 * the page live in the URL, so a view can be shared.
 *
 * @public
 */
export function IncidentFeedPage() {
  const classes = useStyles();
  const [searchParams, setSearchParams] = useAppSearchParams();
  const { owners, systems } = useFilterChoices();

  const filter = Object.fromEntries(
    FILTERS.map(name => [name, searchParams.get(name) ?? '']),
  ) as Record<FilterName, string>;
  const unlinked = searchParams.get('unlinked') === 'true';
  const page = Math.max(0, Number(searchParams.get('page')) || 0);
  const selectedId = searchParams.get(INCIDENT_QUERY_PARAM) ?? undefined;
  // One row per fault by default; `group=none` lists every incident on its own row.
  const grouped = searchParams.get('group') !== 'none';
  const sort = sortFrom(searchParams);

  const query: IncidentListQuery = {
    owner: unlinked ? undefined : filter.owner || undefined,
    system: unlinked ? undefined : filter.system || undefined,
    severity: filter.severity || undefined,
    status: filter.status || undefined,
    unlinked: unlinked || undefined,
    limit: FEED_PAGE_SIZE,
    offset: page * FEED_PAGE_SIZE,
  };

  const update = (changes: Record<string, string | undefined>) =>
    setSearchParams(previous => {
      const next = new URLSearchParams(previous);
      for (const [key, v] of Object.entries(changes)) {
        if (v) {
          next.set(key, v);
        } else {
          next.delete(key);
        }
      }
      return next;
    });
  const setFilter = (name: FilterName, v: string) =>
    update({ [name]: v, page: undefined });

  // Linked incidents open on their entity's Incidents tab; unlinked ones open here.
  const incidentHref = useIncidentHref();

  return (
    <Container>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <div className={classes.filters} role="search">
            <FilterSelect
              name="owner"
              label="Owner"
              value={unlinked ? '' : filter.owner}
              choices={owners}
              onChange={setFilter}
            />
            <FilterSelect
              name="system"
              label="System"
              value={unlinked ? '' : filter.system}
              choices={systems}
              onChange={setFilter}
            />
            <FilterSelect
              name="severity"
              label="Severity"
              value={filter.severity}
              choices={SEVERITIES}
              onChange={setFilter}
            />
            <FilterSelect
              name="status"
              label="Status"
              value={filter.status}
              choices={INCIDENT_STATUSES}
              onChange={setFilter}
            />
            <FormControlLabel
              control={
                <Checkbox
                  checked={unlinked}
                  onChange={event =>
                    update({
                      unlinked: event.target.checked ? 'true' : undefined,
                      owner: undefined,
                      system: undefined,
                      page: undefined,
                    })
                  }
                />
              }
              label="Unlinked only"
            />
            <FormControlLabel
              control={
                <Switch
                  checked={grouped}
                  onChange={event =>
                    update({
                      group: event.target.checked ? undefined : 'none',
                      page: undefined,
                    })
                  }
                />
              }
              label="One row per fault"
            />
          </div>
        </Grid>
        {grouped ? (
          <GroupedFeed
            query={query}
            page={page}
            sort={sort}
            selectedId={selectedId}
            incidentHref={incidentHref}
            update={update}
          />
        ) : (
          <FlatFeed
            query={query}
            page={page}
            selectedId={selectedId}
            incidentHref={incidentHref}
            update={update}
          />
        )}
        {selectedId && (
          <Grid item xs={12}>
            <IncidentDetail
              key={selectedId}
              incidentId={selectedId}
              onClose={() => update({ [INCIDENT_QUERY_PARAM]: undefined })}
            />
          </Grid>
        )}
      </Grid>
    </Container>
  );
}
