import { useLayoutEffect, useRef, useState, MouseEvent } from 'react';
import {
  DependencyGraph,
  DependencyGraphTypes,
  InfoCard,
} from '@backstage/core-components';
import { useEntityRefLink } from '@backstage/plugin-catalog-react';
import Typography from '@material-ui/core/Typography';
import { Theme, makeStyles, useTheme } from '@material-ui/core/styles';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import { useNavigate } from 'react-router-dom';
import {
  ServiceMapEdge,
  ServiceMapNode,
  ServiceRole,
  serviceMapOf,
} from './serviceMap';

const PADDING = 10;
const LINE_HEIGHT = 16;

const useStyles = makeStyles(theme => ({
  graph: {
    minHeight: 160,
  },
  legend: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
    marginTop: theme.spacing(1),
  },
  swatch: {
    display: 'inline-block',
    width: 24,
    height: 0,
    marginRight: theme.spacing(0.5),
    verticalAlign: 'middle',
    borderTopWidth: 3,
    borderTopStyle: 'solid',
  },
  link: {
    cursor: 'pointer',
    '&:focus': {
      outline: 'none',
    },
    '&:focus > rect': {
      strokeWidth: 4,
      stroke: theme.palette.primary.main,
    },
  },
}));

const ROLE_TEXT: Record<ServiceRole, string> = {
  origin: 'probable origin',
  alerted: 'alerted service',
  path: 'on the path',
  related: 'related incident',
};

const ROLE_ORDER: ServiceRole[] = ['origin', 'alerted', 'related', 'path'];

/** The node's roles, the most telling first. */
function rolesOf(node: ServiceMapNode): ServiceRole[] {
  return ROLE_ORDER.filter(r => node.roles.includes(r));
}

/** The second line of a node: its most telling role, and how far from the alert it is. */
function roleText(node: ServiceMapNode): string {
  const role = rolesOf(node)[0] ?? 'path';
  const hops =
    node.hops && node.hops > 0
      ? ` · ${node.hops} hop${node.hops === 1 ? '' : 's'}`
      : '';
  return `${ROLE_TEXT[role]}${hops}`;
}

type NodeData = ServiceMapNode & { href: string | null };
type EdgeData = ServiceMapEdge;

function MapNode(props: { node: NodeData }) {
  const { node } = props;
  const theme = useTheme();
  const classes = useStyles();
  const navigate = useNavigate();
  const textRef = useRef<SVGGElement>(null);
  const [size, setSize] = useState({
    width: Math.max(node.service.length * 8, roleText(node).length * 6.5),
    height: LINE_HEIGHT * 2,
  });
  useLayoutEffect(() => {
    // Sized to the rendered text where the browser can measure it.
    const box = textRef.current?.getBBox?.();
    if (box && box.width > 0 && Math.round(box.width) !== size.width) {
      setSize({ width: Math.round(box.width), height: size.height });
    }
  }, [size]);

  const origin = node.isOrigin;
  const alerted = node.roles.includes('alerted');
  const fill = origin
    ? theme.palette.error.main
    : theme.palette.background.paper;
  const textColor = origin
    ? theme.palette.error.contrastText
    : theme.palette.text.primary;
  let stroke = theme.palette.divider;
  if (origin) stroke = theme.palette.error.dark;
  else if (alerted) stroke = theme.palette.primary.main;
  const width = size.width + PADDING * 2;
  const height = size.height + PADDING * 2;

  // The accessible name starts with the visible text, word for word (WCAG 2.5.3).
  const visible = `${node.service} ${roleText(node)}`;
  const otherRoles = rolesOf(node)
    .slice(1)
    .map(r => ROLE_TEXT[r]);
  const label = otherRoles.length
    ? `${visible}, also ${otherRoles.join(', ')}`
    : visible;
  const shape = (
    <>
      <rect
        width={width}
        height={height}
        rx={6}
        fill={fill}
        stroke={stroke}
        strokeWidth={origin || alerted ? 3 : 1.5}
      />
      <g ref={textRef} transform={`translate(${PADDING}, ${PADDING})`}>
        <text fill={textColor} fontFamily={theme.typography.fontFamily}>
          <tspan x={0} y={LINE_HEIGHT - 3} fontWeight="bold" fontSize={14}>
            {node.service}
          </tspan>{' '}
          <tspan x={0} y={LINE_HEIGHT * 2 - 3} fontSize={12}>
            {roleText(node)}
          </tspan>
        </text>
      </g>
    </>
  );
  const common = {
    'data-service': node.service,
    'data-origin': origin ? 'true' : 'false',
  };
  if (!node.href) {
    return (
      <g role="img" aria-label={`${label} (not in the catalog)`} {...common}>
        <title>{`${node.service}: not in the catalog`}</title>
        {shape}
      </g>
    );
  }
  const href = node.href;
  // An SVG <a> is a link in browsers, but not in every accessibility tree (nor jsdom's).
  return (
    // eslint-disable-next-line jsx-a11y/no-redundant-roles
    <a
      href={href}
      role="link"
      className={classes.link}
      aria-label={`${label}: open its catalog page`}
      onClick={(event: MouseEvent) => {
        event.preventDefault();
        navigate(href);
      }}
      {...common}
    >
      <title>{`${node.service}: open its catalog page`}</title>
      {shape}
    </a>
  );
}

function edgeColor(theme: Theme, changed: EdgeData['changed']): string {
  if (changed.includes('errors')) return theme.palette.error.main;
  if (changed.includes('latency')) return theme.palette.warning.main;
  return theme.palette.text.disabled;
}

function markerId(changed: EdgeData['changed']): string {
  if (changed.includes('errors')) return 'ai-triage-arrow-errors';
  if (changed.includes('latency')) return 'ai-triage-arrow-latency';
  return 'ai-triage-arrow-unchanged';
}

function MapEdge(props: DependencyGraphTypes.RenderEdgeProps<EdgeData>) {
  const { edge } = props;
  const theme = useTheme();
  const points = edge.points.filter(
    p => Number.isFinite(p.x) && Number.isFinite(p.y),
  );
  if (points.length < 2) return null;
  const d = points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`)
    .join(' ');
  const middle = points[Math.floor(points.length / 2)];
  const color = edgeColor(theme, edge.changed);
  const lines = edge.label ? edge.label.split(', ') : [];
  return (
    <g
      data-edge={`${edge.from}->${edge.to}`}
      data-changed={edge.changed.join(' ')}
    >
      <path
        d={d}
        fill="none"
        stroke={color}
        strokeWidth={edge.onPath ? 3 : 1.5}
        strokeDasharray={edge.changed.length === 0 ? '4 4' : undefined}
        markerEnd={`url(#${markerId(edge.changed)})`}
      />
      {lines.map((line, i) => (
        <text
          key={line}
          x={middle.x}
          y={middle.y - 6 - (lines.length - 1 - i) * 14}
          textAnchor="middle"
          fontSize={11}
          fontFamily={theme.typography.fontFamily}
          fill={theme.palette.text.primary}
          stroke={theme.palette.background.paper}
          strokeWidth={3}
          paintOrder="stroke"
        >
          {line}
        </text>
      ))}
    </g>
  );
}

function ArrowMarker(props: { id: string; color: string }) {
  return (
    <marker
      id={props.id}
      viewBox="0 0 10 10"
      refX="10"
      refY="5"
      markerWidth="8"
      markerHeight="8"
      orient="auto-start-reverse"
      markerUnits="userSpaceOnUse"
    >
      <path d="M0,0 L10,5 L0,10 z" fill={props.color} />
    </marker>
  );
}

/**
 * The services of the incident's window as a graph: the alerted service, the path to the
 * probable origin (highlighted), the fault group's other services, and the calls between them
 * marked by what changed against the baseline. Each service links to its catalog page.
 *
 * @internal
 */
export function ServiceMap(props: { detail: IncidentDetailResponse }) {
  const { detail } = props;
  const classes = useStyles();
  const theme = useTheme();
  const entityLink = useEntityRefLink();
  const map = serviceMapOf(detail);

  const nodes: NodeData[] = map.nodes.map(node => ({
    ...node,
    href: node.entityRef ? entityLink(node.entityRef) : null,
  }));
  const edges = map.edges.map(edge => ({ ...edge }));
  const summary = map.origin
    ? `Probable origin ${map.origin}; ${nodes.length} services, ${
        edges.filter(e => e.changed.length > 0).length
      } calls changed against the baseline`
    : `${nodes.length} services; no probable origin yet`;

  return (
    <InfoCard
      title="Service map"
      subheader={
        map.source === 'dependencies'
          ? 'The alerted service and its dependencies (this context has no cross-service localization)'
          : summary
      }
    >
      {nodes.length <= 1 && edges.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          Only {nodes[0]?.service ?? 'the alerted service'} was seen in the
          window: no calls to other services.
        </Typography>
      ) : (
        <div className={classes.graph}>
          <DependencyGraph<NodeData, EdgeData>
            nodes={nodes}
            edges={edges}
            direction={DependencyGraphTypes.Direction.LEFT_RIGHT}
            rankMargin={150}
            nodeMargin={30}
            paddingX={16}
            paddingY={16}
            zoom="disabled"
            allowFullscreen={false}
            renderNode={({ node }) => <MapNode node={node} />}
            renderEdge={edgeProps => <MapEdge {...edgeProps} />}
            defs={[
              <ArrowMarker
                key="errors"
                id="ai-triage-arrow-errors"
                color={theme.palette.error.main}
              />,
              <ArrowMarker
                key="latency"
                id="ai-triage-arrow-latency"
                color={theme.palette.warning.main}
              />,
              <ArrowMarker
                key="unchanged"
                id="ai-triage-arrow-unchanged"
                color={theme.palette.text.disabled}
              />,
            ]}
            role="group"
            aria-label={`Service map: ${summary}`}
          />
        </div>
      )}
      <div className={classes.legend}>
        <Typography variant="caption">
          <span
            className={classes.swatch}
            style={{ borderTopColor: theme.palette.error.main }}
          />
          errors grew
        </Typography>
        <Typography variant="caption">
          <span
            className={classes.swatch}
            style={{ borderTopColor: theme.palette.warning.main }}
          />
          latency grew
        </Typography>
        <Typography variant="caption">
          <span
            className={classes.swatch}
            style={{
              borderTopColor: theme.palette.text.disabled,
              borderTopStyle: 'dashed',
            }}
          />
          no change seen
        </Typography>
        <Typography variant="caption">
          thick: path from the alerted service to the origin
        </Typography>
      </div>
    </InfoCard>
  );
}
