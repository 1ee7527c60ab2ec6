import Grid from '@material-ui/core/Grid';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  IncidentDetailResponse,
  ReviewRequest,
  aiTriageHypothesisReviewPermission,
} from '@ai-triage/plugin-ai-triage-common';
import { Headline } from './Headline';
import { RelatedIncidents } from './RelatedIncidents';
import { ServiceMap } from './ServiceMap';
import { Timeline } from './Timeline';

/**
 * The picture an on-call engineer reads first: the one-line headline with its review actions,
 * the service map with the probable origin, the fault group's other incidents and the timeline.
 * Returns grid items for the incident view's grid.
 *
 * @internal
 */
export function IncidentOverview(props: {
  detail: IncidentDetailResponse;
  onReview: (hypothesisId: string, request: ReviewRequest) => Promise<void>;
}) {
  const { detail, onReview } = props;
  const { allowed } = usePermission({
    permission: aiTriageHypothesisReviewPermission,
    resourceRef: detail.incident.id,
  });
  const grouped =
    Boolean(detail.faultGroup) || (detail.relatedIncidents?.length ?? 0) > 0;
  return (
    <>
      <Grid item xs={12}>
        <Headline detail={detail} canReview={allowed} onReview={onReview} />
      </Grid>
      <Grid item xs={12} lg={grouped ? 8 : 12}>
        <ServiceMap detail={detail} />
      </Grid>
      {grouped && (
        <Grid item xs={12} lg={4}>
          <RelatedIncidents detail={detail} />
        </Grid>
      )}
      <Grid item xs={12}>
        <Timeline detail={detail} />
      </Grid>
    </>
  );
}
