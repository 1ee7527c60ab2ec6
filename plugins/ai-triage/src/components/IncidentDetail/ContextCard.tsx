import { ReactNode, useEffect, useRef } from 'react';
import { InfoCard } from '@backstage/core-components';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
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
import { DeltaChart } from './DeltaChart';
import { metricName } from './evidence';

const useStyles = makeStyles(theme => ({
  section: {
    marginTop: theme.spacing(2),
  },
  item: {
    borderLeft: '4px solid transparent',
  },
  highlighted: {
    backgroundColor: theme.palette.action.selected,
    borderLeftColor: theme.palette.primary.main,
  },
  // The theme truncates list items to one line; evidence needs to be read in full.
  text: {
    whiteSpace: 'normal',
    overflowWrap: 'anywhere',
  },
  evidenceId: {
    display: 'block',
    fontFamily: 'monospace',
  },
  code: {
    fontFamily: 'monospace',
    wordBreak: 'break-word',
  },
}));

function Section(props: {
  title: string;
  isEmpty: boolean;
  children: ReactNode;
}) {
  const classes = useStyles();
  return (
    <div className={classes.section}>
      <Typography variant="subtitle2" component="h3">
        {props.title}
      </Typography>
      {props.isEmpty ? (
        <Typography variant="body2" color="textSecondary">
          None found.
        </Typography>
      ) : (
        <List dense disablePadding>
          {props.children}
        </List>
      )}
    </div>
  );
}

function EvidenceItem(props: {
  evidenceId: string;
  highlighted: boolean;
  primary: ReactNode;
  secondary?: ReactNode;
}) {
  const { evidenceId, highlighted, primary, secondary } = props;
  const classes = useStyles();
  const ref = useRef<HTMLLIElement>(null);

  useEffect(() => {
    if (highlighted) {
      ref.current?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
    }
  }, [highlighted]);

  return (
    <ListItem
      ref={ref}
      data-evidence-id={evidenceId}
      data-highlighted={highlighted}
      className={`${classes.item} ${highlighted ? classes.highlighted : ''}`}
    >
      <ListItemText
        className={classes.text}
        primary={primary}
        secondary={
          <>
            {secondary}
            <Typography variant="caption" className={classes.evidenceId}>
              {evidenceId}
            </Typography>
          </>
        }
        secondaryTypographyProps={{ component: 'div' }}
      />
    </ListItem>
  );
}

/**
 * What enrichment collected for the incident, each piece with the evidence id hypotheses cite.
 *
 * @internal
 */
export function ContextCard(props: {
  context: ContextDocument | null;
  triageRunning: boolean;
  highlightedEvidenceId?: string;
}) {
  const { context, triageRunning, highlightedEvidenceId } = props;
  const classes = useStyles();

  if (!context) {
    return (
      <InfoCard title="Context" variant="gridItem">
        <Typography color="textSecondary">
          {triageRunning
            ? 'Telemetry for the incident window is being collected.'
            : 'No context was collected for this incident.'}
        </Typography>
      </InfoCard>
    );
  }

  const isHighlighted = (id: string) => id === highlightedEvidenceId;

  return (
    <InfoCard
      title="Context"
      subheader={`${formatTime(context.window.from)} to ${formatTime(
        context.window.to,
      )}, compared with ${formatTime(
        context.baselineWindow.from,
      )} to ${formatTime(context.baselineWindow.to)}`}
      variant="gridItem"
    >
      <Section title="Alerts" isEmpty={context.alerts.length === 0}>
        {context.alerts.map(alert => (
          <EvidenceItem
            key={alert.id}
            evidenceId={alert.id}
            highlighted={isHighlighted(alert.id)}
            primary={`${alert.name} (${alert.status}, ${alert.severity})`}
            secondary={alert.summary}
          />
        ))}
      </Section>

      <Section
        title="Failing and slow operations"
        isEmpty={context.operations.length === 0}
      >
        {context.operations.map(operation => (
          <EvidenceItem
            key={operation.id}
            evidenceId={operation.id}
            highlighted={isHighlighted(operation.id)}
            primary={operation.operation}
            secondary={
              <>
                {operation.spanCount} spans,{' '}
                {formatPercent(operation.errorRate)} errors, p95{' '}
                {formatMs(operation.p95Ms)}
                {operation.sampleError && (
                  <div className={classes.code}>{operation.sampleError}</div>
                )}
              </>
            }
          />
        ))}
      </Section>

      <Section
        title="Downstream dependencies"
        isEmpty={context.dependencies.length === 0}
      >
        {context.dependencies.map(dependency => (
          <EvidenceItem
            key={dependency.id}
            evidenceId={dependency.id}
            highlighted={isHighlighted(dependency.id)}
            primary={dependency.dependency}
            secondary={`${formatPercent(dependency.latencyShare)} of latency, ${
              dependency.callCount
            } calls, ${formatPercent(
              dependency.errorRate,
            )} errors, p95 ${formatMs(dependency.p95Ms)}`}
          />
        ))}
      </Section>

      <Section
        title="Log templates"
        isEmpty={context.logTemplates.length === 0}
      >
        {context.logTemplates.map(template => (
          <EvidenceItem
            key={template.id}
            evidenceId={template.id}
            highlighted={isHighlighted(template.id)}
            primary={<span className={classes.code}>{template.template}</span>}
            secondary={`${template.count} × ${template.level}, ${formatTime(
              template.firstSeen,
            )} to ${formatTime(template.lastSeen)}`}
          />
        ))}
      </Section>

      <Section
        title="Metric changes"
        isEmpty={context.metricDeltas.length === 0}
      >
        {context.metricDeltas.map(delta => (
          <EvidenceItem
            key={delta.id}
            evidenceId={delta.id}
            highlighted={isHighlighted(delta.id)}
            primary={<span className={classes.code}>{metricName(delta)}</span>}
            secondary={
              <>
                <DeltaChart delta={delta} />
                {`${
                  delta.baseline === null ? 'none' : formatValue(delta.baseline)
                } → ${formatValue(delta.current)} (${formatChange(
                  delta.changeRatio,
                )})`}
              </>
            }
          />
        ))}
      </Section>

      <div className={classes.section}>
        <Typography variant="subtitle2" component="h3">
          Limits
        </Typography>
        {context.missing.length > 0 && (
          <Typography variant="body2" color="error">
            Missing: {context.missing.join(', ')}
          </Typography>
        )}
        {context.truncated.length > 0 && (
          <Typography variant="body2">
            Truncated: {context.truncated.join(', ')}
          </Typography>
        )}
        <Typography variant="body2" color="textSecondary">
          {context.redactions} value{context.redactions === 1 ? '' : 's'}{' '}
          redacted
        </Typography>
      </div>
    </InfoCard>
  );
}
