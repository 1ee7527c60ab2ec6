import { useCallback } from 'react';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Link } from '@backstage/ui';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { aiTriageApiRef } from '../../api';
import { useIncidentHref } from '../../hooks/useIncidentHref';
import { useLiveValue } from '../../hooks/useIncidents';
import { formatAge } from '../../format';
import { SeverityChip, TriageStateLabel } from '../IncidentLabels';

const useStyles = makeStyles(theme => ({
  count: {
    fontSize: theme.typography.h3.fontSize,
    fontWeight: theme.typography.fontWeightBold as number,
    lineHeight: 1.1,
  },
  latest: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginTop: theme.spacing(2),
  },
  hypothesis: {
    marginTop: theme.spacing(1),
  },
}));

/**
 * The entity's open incidents at a glance: how many, and the latest one's top hypothesis.
 *
 * @public
 */
export function IncidentsCard() {
  const { entity } = useEntity();
  const api = useApi(aiTriageApiRef);
  const classes = useStyles();
  const incidentHref = useIncidentHref();
  const entityRef = stringifyEntityRef(entity);

  const load = useCallback(async () => {
    const open = await api.listIncidents({
      entityRef,
      // Acknowledged incidents are still open: someone is on them.
      status: 'open,acknowledged',
      limit: 1,
    });
    const latest = open.items[0];
    const detail = latest ? await api.getIncident(latest.id) : undefined;
    return {
      openCount: open.totalCount ?? open.items.length,
      latest,
      topHypothesis: detail?.hypotheses[0],
    };
  }, [api, entityRef]);
  const { value, error } = useLiveValue(load);

  let body;
  if (!value) {
    body = error ? <ResponseErrorPanel error={error} /> : <Progress />;
  } else {
    const { openCount, latest, topHypothesis } = value;
    const hypothesisText =
      topHypothesis?.review?.modifiedRootCause ?? topHypothesis?.rootCause;
    body = (
      <>
        <Typography className={classes.count} component="p">
          {openCount}
        </Typography>
        <Typography variant="body2" color="textSecondary">
          open incident{openCount === 1 ? '' : 's'}
        </Typography>
        {latest && (
          <>
            <div className={classes.latest}>
              <SeverityChip severity={latest.severity} />
              <Link href={incidentHref({ ...latest, entityRef })}>
                {latest.title}
              </Link>
              <Typography variant="caption" color="textSecondary">
                {formatAge(latest.firstSeenAt)} ago
              </Typography>
              <TriageStateLabel state={latest.triageState} />
            </div>
            <Typography variant="body2" className={classes.hypothesis}>
              {hypothesisText ? (
                <>
                  Top hypothesis ({topHypothesis!.confidence} confidence):{' '}
                  {hypothesisText}
                </>
              ) : (
                'No hypothesis yet.'
              )}
            </Typography>
          </>
        )}
      </>
    );
  }

  return (
    <InfoCard title="Incidents" variant="gridItem">
      {body}
    </InfoCard>
  );
}
