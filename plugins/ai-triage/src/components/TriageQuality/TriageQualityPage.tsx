import { useEffect, useMemo, useState } from 'react';
import {
  ContentHeader,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { Container } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import FormControl from '@material-ui/core/FormControl';
import Grid from '@material-ui/core/Grid';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import Typography from '@material-ui/core/Typography';
import {
  ReplayRunSummary,
  TriageQualityResponse,
  TriageQualityRow,
} from '@ai-triage/plugin-ai-triage-common';
import { aiTriageApiRef } from '../../api';
import { ReliabilityDiagram } from './ReliabilityDiagram';
import { qualityCsv } from './qualityCsv';

const RANGES = [7, 30, 90] as const;
const DAY_MS = 86_400_000;

const pct = (n: number, d: number) =>
  d === 0 ? '–' : `${Math.round((n / d) * 100)}%`;
const fixed = (v: number | null) => (v === null ? '–' : v.toFixed(3));

const columns: TableColumn<TriageQualityRow>[] = [
  { title: 'Reasoner', field: 'reasoner' },
  { title: 'Model', render: r => r.model ?? '–' },
  { title: 'Prompt version', render: r => r.promptVersion ?? '–' },
  {
    title: 'Runs of',
    render: r => (r.purpose === 'replay' ? 'replay (recorded)' : 'incidents'),
  },
  { title: 'Runs', field: 'runs' },
  { title: 'Abstained', render: r => pct(r.abstentions, r.runs) },
  { title: 'Reviews', field: 'reviews' },
  { title: 'Accepted', render: r => pct(r.accepted, r.reviews) },
  { title: 'Modified', render: r => pct(r.modified, r.reviews) },
  { title: 'Rejected', render: r => pct(r.rejected, r.reviews) },
  { title: 'Brier', render: r => fixed(r.brier) },
  { title: 'ECE', render: r => fixed(r.ece) },
];

const answer = (
  h: { rootCause: string; probability: number } | null,
  none: string,
) => (h ? `${h.rootCause} (${h.probability.toFixed(2)})` : none);

const replayColumns: TableColumn<ReplayRunSummary>[] = [
  { title: 'Incident', field: 'incidentId' },
  { title: 'Reasoner', field: 'reasoner' },
  { title: 'Model', render: r => r.model ?? '–' },
  { title: 'Prompt version', render: r => r.promptVersion ?? '–' },
  { title: 'Recorded', render: r => new Date(r.createdAt).toLocaleString() },
  { title: 'Replay answer', render: r => answer(r.top, 'abstained') },
  {
    title: 'Live answer (shown on the incident)',
    render: r =>
      r.live
        ? `${answer(r.live, '')}${
            r.live.decision ? `: ${r.live.decision}` : ''
          }`
        : 'none',
  },
];

/**
 * How well triage answers hold up with reviewers: acceptance, modification and rejection rates,
 * abstentions, Brier score and a reliability diagram over a chosen time range, with a table per
 * reasoner, model and prompt version (replay runs recorded by `npm run replay -- --record` get
 * rows of their own, marked as such) and CSV export.
 */
export function TriageQualityPage() {
  const api = useApi(aiTriageApiRef);
  const [days, setDays] = useState<number>(30);
  const range = useMemo(() => {
    const to = new Date();
    return {
      from: new Date(to.getTime() - days * DAY_MS).toISOString(),
      to: to.toISOString(),
    };
  }, [days]);
  const [state, setState] = useState<{
    value?: TriageQualityResponse;
    error?: Error;
  }>({});
  useEffect(() => {
    let current = true;
    setState({});
    api.getQuality(range).then(
      value => current && setState({ value }),
      error => current && setState({ error }),
    );
    return () => {
      current = false;
    };
  }, [api, range]);
  const { value, error } = state;
  const loading = !value && !error;
  const csvHref = useMemo(
    () =>
      value
        ? `data:text/csv;charset=utf-8,${encodeURIComponent(qualityCsv(value))}`
        : undefined,
    [value],
  );

  return (
    <Container>
      <ContentHeader title="Triage quality">
        <FormControl size="small" variant="outlined">
          <InputLabel id="quality-range">Time range</InputLabel>
          <Select
            labelId="quality-range"
            label="Time range"
            value={days}
            onChange={e => setDays(Number(e.target.value))}
          >
            {RANGES.map(d => (
              <MenuItem key={d} value={d}>
                Last {d} days
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <Button
          href={csvHref ?? '#'}
          download="triage-quality.csv"
          disabled={!csvHref}
          variant="outlined"
          style={{ marginLeft: 8 }}
        >
          Export CSV
        </Button>
      </ContentHeader>
      {loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && (
        <Grid container spacing={2}>
          <Grid item xs={12} md={7}>
            <InfoCard title="Reviews">
              <dl aria-label="Quality summary">
                {(
                  [
                    ['Triage runs', String(value.overall.runs)],
                    [
                      'Abstentions',
                      pct(value.overall.abstentions, value.overall.runs),
                    ],
                    ['Reviewed hypotheses', String(value.overall.reviews)],
                    [
                      'Accepted',
                      pct(value.overall.accepted, value.overall.reviews),
                    ],
                    [
                      'Modified',
                      pct(value.overall.modified, value.overall.reviews),
                    ],
                    [
                      'Rejected',
                      pct(value.overall.rejected, value.overall.reviews),
                    ],
                    ['Brier score', fixed(value.overall.brier)],
                    ['Expected calibration error', fixed(value.overall.ece)],
                  ] as const
                ).map(([term, detail]) => (
                  <div key={term} style={{ display: 'flex', gap: 8 }}>
                    <dt style={{ minWidth: 220 }}>{term}</dt>
                    <dd aria-label={term} style={{ margin: 0 }}>
                      {detail}
                    </dd>
                  </div>
                ))}
              </dl>
              <Typography variant="caption">
                An accepted hypothesis counts as right, a modified or rejected
                one as wrong.
              </Typography>
            </InfoCard>
          </Grid>
          <Grid item xs={12} md={5}>
            <InfoCard title="Reliability">
              <ReliabilityDiagram bins={value.overall.reliability} />
            </InfoCard>
          </Grid>
          <Grid item xs={12}>
            <Table
              title="Per reasoner, model and prompt version"
              subtitle="Replay rows are runs recorded by npm run replay -- --record; reviewers never saw them, so they have no reviews"
              options={{ paging: false, search: false }}
              columns={columns}
              data={value.byReasoner}
            />
          </Grid>
          {value.replays.length > 0 && (
            <Grid item xs={12}>
              <Table
                title="Recorded replays"
                subtitle="Replay runs stored beside the incidents' live answers, which they do not replace"
                options={{ paging: false, search: false }}
                columns={replayColumns}
                data={value.replays}
              />
            </Grid>
          )}
        </Grid>
      )}
    </Container>
  );
}
