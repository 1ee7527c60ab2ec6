import { useState } from 'react';
import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useAppSearchParams } from '@backstage/frontend-plugin-api';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import { AI_TRIAGE_SERVICE_NAME_ANNOTATION } from '@ai-triage/plugin-ai-triage-common';
import { useIncidents } from '../../hooks/useIncidents';
import { IncidentDetail } from '../IncidentDetail';
import { INCIDENT_QUERY_PARAM, IncidentsTable } from './IncidentsTable';

/** Incidents per page: the tab asks the API for one page at a time. */
const INCIDENTS_PAGE_SIZE = 20;

function NoIncidents(props: { serviceName: string }) {
  const { serviceName } = props;
  return (
    <EmptyState
      missing="data"
      title="No incidents for this service yet"
      description={
        <>
          Alerts for the service <code>{serviceName}</code> (the{' '}
          <code>{AI_TRIAGE_SERVICE_NAME_ANNOTATION}</code> annotation, or the
          entity name) become incidents here. Point an Alertmanager webhook
          receiver at <code>/api/ai-triage/webhooks/alertmanager</code> on the
          Backstage backend, with an external-access token, and label the alerts{' '}
          <code>service_name="{serviceName}"</code>. New incidents show up on
          this page without a reload.
        </>
      }
    />
  );
}

/**
 * The Incidents tab of an entity page: the entity's incidents, a page at a time, and the one
 * selected with the `?incident=` query parameter in detail.
 *
 * @public
 */
export function IncidentsTab() {
  const { entity } = useEntity();
  const [page, setPage] = useState(0);
  const { value, error } = useIncidents({
    entityRef: stringifyEntityRef(entity),
    limit: INCIDENTS_PAGE_SIZE,
    offset: page * INCIDENTS_PAGE_SIZE,
  });
  const [searchParams, setSearchParams] = useAppSearchParams();
  const selectedId = searchParams.get(INCIDENT_QUERY_PARAM) ?? undefined;

  const closeIncident = () =>
    setSearchParams(previous => {
      const next = new URLSearchParams(previous);
      next.delete(INCIDENT_QUERY_PARAM);
      return next;
    });

  if (!value) {
    return error ? <ResponseErrorPanel error={error} /> : <Progress />;
  }

  const annotatedServiceName =
    entity.metadata.annotations?.[AI_TRIAGE_SERVICE_NAME_ANNOTATION];
  const isEmpty = value.items.length === 0 && page === 0;
  let empty = null;
  if (isEmpty) {
    // Without the annotation, alerts still link by entity name; say how to link explicitly.
    empty = annotatedServiceName ? (
      <NoIncidents serviceName={annotatedServiceName} />
    ) : (
      <MissingAnnotationEmptyState
        annotation={AI_TRIAGE_SERVICE_NAME_ANNOTATION}
      />
    );
  }
  return (
    <Grid container spacing={3}>
      {error && (
        <Grid item xs={12}>
          <ResponseErrorPanel
            title="The incident list could not be refreshed; showing the last answer"
            error={error}
          />
        </Grid>
      )}
      <Grid item xs={12}>
        {empty ?? (
          <IncidentsTable
            incidents={value.items}
            selectedId={selectedId}
            paging={{
              page,
              pageSize: INCIDENTS_PAGE_SIZE,
              totalCount: value.totalCount ?? value.items.length,
              onPageChange: setPage,
            }}
          />
        )}
      </Grid>
      {selectedId && (
        <Grid item xs={12}>
          <IncidentDetail
            key={selectedId}
            incidentId={selectedId}
            onClose={closeIncident}
          />
        </Grid>
      )}
    </Grid>
  );
}
