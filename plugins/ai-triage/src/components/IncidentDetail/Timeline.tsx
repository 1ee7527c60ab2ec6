import { InfoCard } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';
import { Theme, makeStyles, useTheme } from '@material-ui/core/styles';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import { formatClock, formatValue } from '../../format';
import {
  Timeline as TimelineModel,
  TimelineSeries,
  timelineOf,
} from './timeline';

const WIDTH = 1000;
const LABEL_WIDTH = 210;
const RIGHT = 16;
const AXIS_HEIGHT = 34;
const ALERT_ROW = 18;
const CHANGE_ROW = 26;
const SERIES_ROW = 42;
const MAX_ALERT_ROWS = 6;

const useStyles = makeStyles(theme => ({
  svg: {
    width: '100%',
    height: 'auto',
    display: 'block',
  },
  legend: {
    margin: theme.spacing(1, 0, 0),
    paddingLeft: theme.spacing(2.5),
  },
}));

function ticksOf(range: { from: number; to: number }): number[] {
  const minute = 60_000;
  const span = range.to - range.from;
  const step =
    [1, 2, 5, 10, 15, 30, 60, 120, 240, 720, 1440]
      .map(m => m * minute)
      .find(s => span / s <= 8) ?? 1440 * minute;
  const first = Math.ceil(range.from / step) * step;
  const ticks: number[] = [];
  for (let t = first; t <= range.to; t += step) ticks.push(t);
  return ticks;
}

function minutes(span: { from: number; to: number }): number {
  return Math.round((span.to - span.from) / 60_000);
}

const BASELINE_SOURCES: Record<string, string> = {
  'pre-onset': 'the healthy period just before the onset',
  'fixed-window':
    'the fixed window before the lookback (no healthy period before the onset)',
  none: 'none',
  context: 'the fixed window before the lookback',
};

const CHANGE_KINDS = {
  deploy: 'Deploy',
  config: 'Config change',
  restart: 'Restart',
};

/** What the timeline shows, as sentences, for readers who do not see the chart. */
function describe(model: TimelineModel): string[] {
  const lines: string[] = [];
  if (model.baseline) {
    lines.push(
      `Baseline ${formatClock(
        new Date(model.baseline.from).toISOString(),
      )}–${formatClock(new Date(model.baseline.to).toISOString())} (${minutes(
        model.baseline,
      )} min, ${BASELINE_SOURCES[model.baseline.source]})`,
    );
  } else {
    lines.push('No baseline: no change can be told from the normal state');
  }
  if (model.onset) {
    const how =
      model.onset.method === 'change-point'
        ? `change point${model.onset.series ? ` on ${model.onset.series}` : ''}`
        : model.onset.method.replace('-', ' ');
    lines.push(
      `Onset ${formatClock(new Date(model.onset.at).toISOString())} (${how})`,
    );
  }
  for (const alert of model.alerts) {
    lines.push(
      `Alert ${alert.name} ${formatClock(new Date(alert.from).toISOString())}–${
        alert.to === null
          ? 'still firing'
          : formatClock(new Date(alert.to).toISOString())
      }`,
    );
  }
  for (const change of model.changes) {
    lines.push(
      `${CHANGE_KINDS[change.kind]} of ${change.service} at ${formatClock(
        change.at,
      )}: ${change.summary}`,
    );
  }
  return lines;
}

function SeriesRow(props: {
  series: TimelineSeries;
  y: number;
  x: (t: number) => number;
  theme: Theme;
}) {
  const { series, y, x, theme } = props;
  const top = y + 6;
  const bottom = y + SERIES_ROW - 8;
  const max =
    Math.max(Math.abs(series.baseline ?? 0), Math.abs(series.current)) || 1;
  const level = (value: number) =>
    bottom - (Math.abs(value) / max) * (bottom - top);
  const rising = series.current > (series.baseline ?? 0);
  const label = `${series.service}: ${series.label}, baseline ${
    series.baseline === null ? 'none' : formatValue(series.baseline)
  }, then ${formatValue(series.current)}`;
  return (
    <g role="img" aria-label={label} data-series={series.id}>
      <title>{label}</title>
      <text
        x={8}
        y={y + 16}
        fontSize={12}
        fontWeight="bold"
        fill={theme.palette.text.primary}
      >
        {series.service}
      </text>
      <text x={8} y={y + 31} fontSize={11} fill={theme.palette.text.secondary}>
        {series.label.length > 32
          ? `${series.label.slice(0, 31)}…`
          : series.label}
      </text>
      <line
        x1={LABEL_WIDTH}
        x2={WIDTH - RIGHT}
        y1={bottom}
        y2={bottom}
        stroke={theme.palette.divider}
      />
      {series.baselineSpan && series.baseline !== null && (
        <line
          x1={x(series.baselineSpan.from)}
          x2={x(series.baselineSpan.to)}
          y1={level(series.baseline)}
          y2={level(series.baseline)}
          stroke={theme.palette.text.secondary}
          strokeWidth={2.5}
        />
      )}
      <line
        x1={x(series.currentSpan.from)}
        x2={x(series.currentSpan.to)}
        y1={level(series.current)}
        y2={level(series.current)}
        stroke={rising ? theme.palette.error.main : theme.palette.primary.main}
        strokeWidth={2.5}
      />
      <text
        x={x(series.currentSpan.to) - 4}
        y={level(series.current) - 4}
        textAnchor="end"
        fontSize={11}
        fill={theme.palette.text.primary}
      >
        {formatValue(series.current)}
      </text>
      {series.baselineSpan && series.baseline !== null && (
        <text
          x={x(series.baselineSpan.from) + 4}
          y={level(series.baseline) - 4}
          fontSize={11}
          fill={theme.palette.text.secondary}
        >
          {formatValue(series.baseline)}
        </text>
      )}
    </g>
  );
}

/**
 * One time axis for the incident: the baseline window shaded, the onset marked, the alerts'
 * firing spans, deploys and other changes, and the key metrics of the probable origin and the
 * alerted service (baseline level before, incident level after the onset) aligned under it.
 *
 * @internal
 */
export function Timeline(props: { detail: IncidentDetailResponse }) {
  const classes = useStyles();
  const theme = useTheme();
  const model = timelineOf(props.detail);
  if (!model) {
    return (
      <InfoCard title="Timeline">
        <Typography variant="body2" color="textSecondary">
          The timeline appears when telemetry for the incident window has been
          collected.
        </Typography>
      </InfoCard>
    );
  }
  const { range } = model;
  const x = (t: number) =>
    LABEL_WIDTH +
    ((t - range.from) / (range.to - range.from)) *
      (WIDTH - LABEL_WIDTH - RIGHT);
  const alertRows = model.alerts.slice(0, MAX_ALERT_ROWS);
  const alertsTop = AXIS_HEIGHT;
  const changesTop = alertsTop + Math.max(1, alertRows.length) * ALERT_ROW + 6;
  const seriesTop = changesTop + CHANGE_ROW;
  const height = seriesTop + model.series.length * SERIES_ROW + 4;
  const clock = (t: number) => formatClock(new Date(t).toISOString());
  const lines = describe(model);

  return (
    <InfoCard
      title="Timeline"
      subheader={`${clock(range.from)} to ${clock(range.to)}`}
    >
      <svg
        className={classes.svg}
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="group"
        aria-label={`Timeline from ${clock(range.from)} to ${clock(range.to)}`}
        fontFamily={theme.typography.fontFamily}
      >
        {model.baseline && (
          <g role="img" aria-label={lines[0]} data-marker="baseline">
            <title>{lines[0]}</title>
            <rect
              x={x(model.baseline.from)}
              y={AXIS_HEIGHT - 8}
              width={Math.max(1, x(model.baseline.to) - x(model.baseline.from))}
              height={height - AXIS_HEIGHT + 8}
              fill={theme.palette.action.selected}
            />
            <text
              x={x(model.baseline.from) + 4}
              y={AXIS_HEIGHT - 12}
              fontSize={11}
              fill={theme.palette.text.secondary}
            >
              baseline
            </text>
          </g>
        )}

        {ticksOf(range).map(t => (
          <g key={t}>
            <line
              x1={x(t)}
              x2={x(t)}
              y1={AXIS_HEIGHT - 4}
              y2={height}
              stroke={theme.palette.divider}
              strokeDasharray="2 4"
            />
            <text
              x={x(t)}
              y={12}
              textAnchor="middle"
              fontSize={11}
              fill={theme.palette.text.secondary}
            >
              {clock(t)}
            </text>
          </g>
        ))}

        <text
          x={8}
          y={alertsTop + 13}
          fontSize={12}
          fill={theme.palette.text.primary}
        >
          Alerts
        </text>
        {alertRows.map((alert, i) => {
          const y = alertsTop + i * ALERT_ROW + 3;
          const end = alert.to ?? range.to;
          const label = `Alert ${alert.name} ${clock(alert.from)}–${
            alert.to === null ? 'still firing' : clock(alert.to)
          }`;
          return (
            <g key={alert.id} role="img" aria-label={label} data-marker="alert">
              <title>{label}</title>
              <rect
                x={x(alert.from)}
                y={y}
                width={Math.max(3, x(end) - x(alert.from))}
                height={ALERT_ROW - 6}
                rx={3}
                fill={theme.palette.warning.main}
              />
            </g>
          );
        })}

        <text
          x={8}
          y={changesTop + 16}
          fontSize={12}
          fill={theme.palette.text.primary}
        >
          Deploys and changes
        </text>
        {model.changes.map(change => {
          const cx = x(change.time);
          const cy = changesTop + 12;
          const label = `${change.kind} of ${change.service} at ${formatClock(
            change.at,
          )}: ${change.summary}`;
          return (
            <g
              key={change.id}
              role="img"
              aria-label={label}
              data-marker="change"
            >
              <title>{label}</title>
              <path
                d={`M${cx},${cy - 7} L${cx + 7},${cy} L${cx},${cy + 7} L${
                  cx - 7
                },${cy} z`}
                fill={theme.palette.info.main}
              />
              <text
                x={cx + 10}
                y={cy + 4}
                fontSize={11}
                fill={theme.palette.text.primary}
              >
                {change.service} {change.to ?? ''}
              </text>
            </g>
          );
        })}

        {model.series.map((series, i) => (
          <SeriesRow
            key={series.id}
            series={series}
            y={seriesTop + i * SERIES_ROW}
            x={x}
            theme={theme}
          />
        ))}

        {model.onset && (
          <g
            role="img"
            aria-label={`Onset at ${clock(model.onset.at)}`}
            data-marker="onset"
            data-x={x(model.onset.at).toFixed(1)}
          >
            <title>{`Onset at ${clock(model.onset.at)}`}</title>
            <line
              x1={x(model.onset.at)}
              x2={x(model.onset.at)}
              y1={AXIS_HEIGHT - 10}
              y2={height}
              stroke={theme.palette.error.main}
              strokeWidth={2.5}
            />
            <text
              x={x(model.onset.at) + 4}
              y={AXIS_HEIGHT - 12}
              fontSize={11}
              fontWeight="bold"
              fill={theme.palette.error.main}
            >
              onset {clock(model.onset.at)}
            </text>
          </g>
        )}
      </svg>
      <ul className={classes.legend}>
        {lines.map(line => (
          <Typography key={line} component="li" variant="body2">
            {line}
          </Typography>
        ))}
      </ul>
    </InfoCard>
  );
}
