import { ReliabilityBinSummary } from '@ai-triage/plugin-ai-triage-common';

const SIZE = 240;
const PAD = 32;
const scale = (v: number) => PAD + v * (SIZE - 2 * PAD);

/**
 * Predicted probability (x) against the share reviewers accepted (y), one point per bin sized by
 * its reviews; the diagonal is perfect calibration.
 */
export function ReliabilityDiagram(props: { bins: ReliabilityBinSummary[] }) {
  const max = Math.max(1, ...props.bins.map(b => b.count));
  const filled = props.bins.filter(
    b => b.meanProbability !== null && b.observed !== null,
  );
  return (
    <svg
      role="img"
      aria-label="Reliability diagram"
      width={SIZE}
      height={SIZE}
      viewBox={`0 0 ${SIZE} ${SIZE}`}
    >
      <rect
        x={PAD}
        y={PAD}
        width={SIZE - 2 * PAD}
        height={SIZE - 2 * PAD}
        fill="none"
        stroke="currentColor"
        strokeOpacity={0.3}
      />
      <line
        x1={scale(0)}
        y1={SIZE - scale(0)}
        x2={scale(1)}
        y2={SIZE - scale(1)}
        stroke="currentColor"
        strokeDasharray="4 4"
        strokeOpacity={0.5}
      />
      <polyline
        fill="none"
        stroke="#1976d2"
        strokeWidth={2}
        points={filled
          .map(b => `${scale(b.meanProbability!)},${SIZE - scale(b.observed!)}`)
          .join(' ')}
      />
      {filled.map(b => (
        <circle
          key={b.from}
          cx={scale(b.meanProbability!)}
          cy={SIZE - scale(b.observed!)}
          r={3 + 5 * (b.count / max)}
          fill="#1976d2"
        >
          <title>
            {`${b.from.toFixed(1)}–${b.to.toFixed(
              1,
            )}: predicted ${b.meanProbability!.toFixed(
              2,
            )}, accepted ${b.observed!.toFixed(2)} of ${b.count}`}
          </title>
        </circle>
      ))}
      <text
        x={SIZE / 2}
        y={SIZE - 6}
        textAnchor="middle"
        fontSize={11}
        fill="currentColor"
      >
        predicted probability
      </text>
      <text
        x={10}
        y={SIZE / 2}
        textAnchor="middle"
        fontSize={11}
        fill="currentColor"
        transform={`rotate(-90 10 ${SIZE / 2})`}
      >
        accepted fraction
      </text>
    </svg>
  );
}
