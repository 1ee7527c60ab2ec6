import { ReactNode } from 'react';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { ContextDocument } from '@ai-triage/plugin-ai-triage-common';
import {
  formatChange,
  formatMs,
  formatPercent,
  formatTime,
  formatValue,
} from '../../format';
import { CitedEvidence, citedEvidenceOf, metricName } from './evidence';
import { TruncatedText } from './TruncatedText';

const useStyles = makeStyles(theme => ({
  list: {
    listStyle: 'none',
    margin: theme.spacing(1, 0),
    padding: 0,
  },
  item: {
    borderLeft: `3px solid ${theme.palette.divider}`,
    padding: theme.spacing(0.5, 1),
    '& + &': {
      marginTop: theme.spacing(1),
    },
  },
  heading: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
  },
  evidenceChip: {
    fontFamily: 'monospace',
    maxWidth: '100%',
  },
}));

const TYPE_LABELS: Record<CitedEvidence['type'], string> = {
  alert: 'Alert',
  operation: 'Operation',
  dependency: 'Dependency',
  log: 'Log template',
  metric: 'Metric',
  'critical-path': 'Critical path',
  change: 'Change',
  missing: 'Not in the context',
};

function serviceSuffix(service: string | undefined): string {
  return service ? ` (${service})` : '';
}

/** What one cited item says: a title and the numbers behind it. */
function describe(evidence: CitedEvidence): {
  primary: ReactNode;
  secondary: ReactNode;
} {
  switch (evidence.type) {
    case 'alert':
      return {
        primary: `${evidence.item.name} (${evidence.item.status}, ${evidence.item.severity})`,
        secondary: evidence.item.summary,
      };
    case 'operation': {
      const op = evidence.item;
      return {
        primary: `${op.operation}${serviceSuffix(op.service)}`,
        secondary: (
          <>
            {op.spanCount} spans, {formatPercent(op.errorRate)} errors, p95{' '}
            {formatMs(op.p95Ms)}
            {op.baselineP95Ms !== undefined && op.baselineP95Ms !== null
              ? ` (baseline ${formatMs(op.baselineP95Ms)})`
              : ''}
            {op.sampleError && (
              <>
                <br />
                <TruncatedText text={op.sampleError} />
              </>
            )}
          </>
        ),
      };
    }
    case 'dependency': {
      const dep = evidence.item;
      return {
        primary: `Calls to ${dep.dependency}`,
        secondary: `${formatPercent(dep.latencyShare)} of latency, ${
          dep.callCount
        } calls, ${formatPercent(dep.errorRate)} errors, p95 ${formatMs(
          dep.p95Ms,
        )}${
          dep.baselineP95Ms !== undefined && dep.baselineP95Ms !== null
            ? ` (baseline ${formatMs(dep.baselineP95Ms)})`
            : ''
        }`,
      };
    }
    case 'log': {
      const log = evidence.item;
      let novelty = '';
      if (log.baselineCount === 0) {
        novelty = ', new since the baseline';
      } else if (log.baselineCount !== undefined) {
        novelty = `, ${log.baselineCount} in the baseline`;
      }
      return {
        primary: <TruncatedText text={log.template} />,
        secondary: `${log.count} × ${log.level}${serviceSuffix(
          log.service,
        )}${novelty}, ${formatTime(log.firstSeen)} to ${formatTime(
          log.lastSeen,
        )}`,
      };
    }
    case 'metric': {
      const delta = evidence.item;
      return {
        primary: <TruncatedText text={metricName(delta)} />,
        secondary: `${
          delta.baseline === null ? 'none' : formatValue(delta.baseline)
        } → ${formatValue(delta.current)} (${formatChange(
          delta.changeRatio,
        )})${serviceSuffix(delta.service)}`,
      };
    }
    case 'critical-path': {
      const path = evidence.item;
      return {
        primary: `Critical path of trace ${path.traceId}`,
        secondary: path.steps
          .map(
            step =>
              `${step.service} ${step.operation} ${formatMs(step.selfMs)} self${
                step.error ? ' (error)' : ''
              }`,
          )
          .join(' → '),
      };
    }
    case 'change':
      return {
        primary: `${evidence.item.kind} of ${evidence.item.service}`,
        secondary: `${evidence.item.summary}, ${formatTime(evidence.item.at)}`,
      };
    default:
      return {
        primary: evidence.id,
        secondary:
          'The hypothesis cites an id the context document does not hold.',
      };
  }
}

/**
 * The context items a hypothesis cites, shown in place; each id chip highlights the item in the
 * full context as well.
 *
 * @internal
 */
export function EvidenceList(props: {
  context: ContextDocument | null;
  evidenceIds: string[];
  highlightedEvidenceId?: string;
  onEvidenceClick: (evidenceId: string) => void;
}) {
  const { context, evidenceIds, highlightedEvidenceId, onEvidenceClick } =
    props;
  const classes = useStyles();
  return (
    <ul className={classes.list}>
      {citedEvidenceOf(context, evidenceIds).map(evidence => {
        const { primary, secondary } = describe(evidence);
        const known = evidence.type !== 'missing';
        return (
          <li
            key={evidence.id}
            className={classes.item}
            data-cited-evidence-id={evidence.id}
          >
            <div className={classes.heading}>
              <Typography variant="caption" color="textSecondary">
                {TYPE_LABELS[evidence.type]}
              </Typography>
              <Chip
                size="small"
                className={classes.evidenceChip}
                label={evidence.id}
                title={
                  known
                    ? `Highlight ${evidence.id} in the context`
                    : `${evidence.id} is not in the context document`
                }
                disabled={!known}
                color={
                  evidence.id === highlightedEvidenceId ? 'primary' : 'default'
                }
                aria-pressed={evidence.id === highlightedEvidenceId}
                onClick={() => onEvidenceClick(evidence.id)}
              />
            </div>
            <Typography variant="body2" component="div">
              {primary}
            </Typography>
            {secondary && (
              <Typography variant="body2" color="textSecondary" component="div">
                {secondary}
              </Typography>
            )}
          </li>
        );
      })}
    </ul>
  );
}
