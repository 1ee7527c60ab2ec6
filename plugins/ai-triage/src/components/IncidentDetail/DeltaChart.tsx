import { useTheme } from '@material-ui/core/styles';
import { MetricDelta } from '@ai-triage/plugin-ai-triage-common';
import { formatValue } from '../../format';

const WIDTH = 56;
const HEIGHT = 24;
const BAR = 20;

/**
 * A small inline chart of a metric change: the baseline bar beside the incident-window bar,
 * on a shared scale from zero.
 *
 * @internal
 */
export function DeltaChart(props: { delta: MetricDelta }) {
  const { delta } = props;
  const theme = useTheme();
  const baseline = delta.baseline ?? 0;
  const max = Math.max(Math.abs(baseline), Math.abs(delta.current)) || 1;
  const height = (value: number) =>
    Math.max(1, Math.round((Math.abs(value) / max) * HEIGHT));
  const rising = delta.current > baseline;
  return (
    <svg
      role="img"
      aria-label={`baseline ${
        delta.baseline === null ? 'none' : formatValue(delta.baseline)
      }, incident ${formatValue(delta.current)}`}
      width={WIDTH}
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      style={{ verticalAlign: 'middle', marginRight: theme.spacing(1) }}
    >
      <rect
        x={4}
        y={HEIGHT - height(baseline)}
        width={BAR}
        height={height(baseline)}
        fill={theme.palette.text.disabled}
      />
      <rect
        x={8 + BAR}
        y={HEIGHT - height(delta.current)}
        width={BAR}
        height={height(delta.current)}
        fill={rising ? theme.palette.error.main : theme.palette.primary.main}
      />
    </svg>
  );
}
