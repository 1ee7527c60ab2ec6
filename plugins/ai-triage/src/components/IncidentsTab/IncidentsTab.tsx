import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useAppSearchParams } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import { AI_TRIAGE_SERVICE_NAME_ANNOTATION } from '@ai-triage/plugin-ai-triage-common';
import { useIncidents } from '../../hooks/useIncidents';
import { IncidentDetail } from '../IncidentDetail';
import { INCIDENT_QUERY_PARAM, IncidentsTable } from './IncidentsTable';

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
 * The Incidents tab of an entity page: the entity's incidents, and the one selected with the
 * `?incident=` query parameter in detail.
 *
 * @public
 */
export function IncidentsTab() {
  const { entity } = useEntity();
  const { value, error } = useIncidents(stringifyEntityRef(entity));
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

  const serviceName =
    entity.metadata.annotations?.[AI_TRIAGE_SERVICE_NAME_ANNOTATION] ??
    entity.metadata.name;
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
        {value.items.length === 0 ? (
          <NoIncidents serviceName={serviceName} />
        ) : (
          <IncidentsTable incidents={value.items} selectedId={selectedId} />
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
