import { SpanRecord } from '@ai-triage/plugin-ai-triage-node';

const CLIENT = 3;
const PRODUCER = 4;
const SERVER = 2;
const CONSUMER = 5;
const STATUS_ERROR = 2;

/**
 * Span names of client spans that wait for a resource of the caller rather than do work in the
 * callee: a connection pool checkout (`pg-pool.connect` of @opentelemetry/instrumentation-pg,
 * `generic-pool` acquires, `mysql2` `getConnection`), a lock or semaphore. Their self time is the
 * caller's own time (its pool is too small or leaks), never the database's.
 */
const WAIT_SPAN =
  /(^|[\s._:/-])(pool|acquire|getconnection|lock|semaphore|mutex)([\s._:/-]|$)/i;

/**
 * Failures of a client span that arise in the caller before a request leaves it: name
 * resolution (Node's `getaddrinfo ENOTFOUND`/`EAI_AGAIN`, Go's `no such host`). The caller's
 * resolver and the host name it was configured with are the caller's; the callee never saw
 * the request.
 */
const CALLER_SIDE_FAILURE =
  /ENOTFOUND|EAI_AGAIN|getaddrinfo|no such host|name resolution|Temporary failure in name resolution/i;

/** Whether a failed client span failed in the caller itself (see CALLER_SIDE_FAILURE). */
function isCallerSideFailure(span: SpanRecord): boolean {
  return (
    span.statusCode === STATUS_ERROR &&
    CALLER_SIDE_FAILURE.test(
      `${span.statusMessage ?? ''} ${span.attributes['error.type'] ?? ''}`,
    )
  );
}

/** Whether a span waits for a resource inside its own service. */
function isResourceWaitSpan(span: SpanRecord): boolean {
  return WAIT_SPAN.test(span.name);
}

const isCall = (span: SpanRecord) =>
  span.kind === CLIENT || span.kind === PRODUCER;
const isEntry = (span: SpanRecord) =>
  span.kind === SERVER || span.kind === CONSUMER;
const isError = (span: SpanRecord) => span.statusCode === STATUS_ERROR;

/** What one span contributes, after attribution to the node that spent its self time. */
export type SpanShare = {
  span: SpanRecord;
  /** The service (or external host, database) its self time and own errors belong to. */
  node: string;
  /** The operation it counts under in that node (the span name). */
  operation: string;
  /** Duration minus the time its children cover (their union, clipped to the span). */
  selfMs: number;
  /** Whether its self time is a wait for a resource of its own service (pool, lock). */
  wait: boolean;
  /** Failed with no failing child: the error began here. */
  originatingError: boolean;
  /** Failed because a child failed: the error was passed on. */
  passedOnError: boolean;
};

/** A call from one node to another, seen from the caller's client span. */
export type CallShare = {
  span: SpanRecord;
  from: string;
  to: string;
};

/**
 * The service graph of a set of spans (any services, whole traces where available): each span's
 * self time and errors attributed to the node where they arose, and every cross-node call.
 *
 * Attribution, from how instrumented services emit spans:
 * - server, consumer and internal spans of service S: S's own work;
 * - a client span answered by a server span of another service: S's own (network, event loop)
 *   time; the callee's time is in the callee's spans;
 * - a client span nobody answered in the data (a database, a cache, an external API, or a
 *   callee that refused the connection): the callee's time, the callee named by the service
 *   that answered the same peer address elsewhere, else by the peer itself;
 * - a client span that waits for a resource of S (see {@link isResourceWaitSpan}), or that
 *   failed in S before the request left (see {@link isCallerSideFailure}): S's own.
 *
 * A consumer span is called by the services of the producer spans it links to (OTLP span links,
 * present when the producers' spans are in the data), else by the destination it consumes from
 * (`messaging.destination.name`), the node its producers' messages go to.
 *
 * An error originates in the span that failed with no failing child; a failed client span whose
 * callee answered without failing (a 429, a timeout cut by the client) originates in the callee.
 */
export function attributeSpans(spans: SpanRecord[]): {
  shares: SpanShare[];
  calls: CallShare[];
  /** Nodes that are services with spans of their own. */
  services: Set<string>;
} {
  const byKey = new Map<string, SpanRecord>();
  const children = new Map<string, SpanRecord[]>();
  for (const span of spans) byKey.set(`${span.traceId}/${span.spanId}`, span);
  for (const span of spans) {
    if (!span.parentSpanId) continue;
    const key = `${span.traceId}/${span.parentSpanId}`;
    if (!byKey.has(key)) continue;
    const list = children.get(key);
    if (list) list.push(span);
    else children.set(key, [span]);
  }
  const childrenOf = (span: SpanRecord) =>
    children.get(`${span.traceId}/${span.spanId}`) ?? [];
  const calleeOf = (span: SpanRecord) =>
    childrenOf(span).find(
      child => isEntry(child) && child.serviceName !== span.serviceName,
    );

  // Peer addresses answered by a known service: the name for calls nobody answered.
  const votes = new Map<string, Map<string, number>>();
  for (const span of spans) {
    if (!isCall(span)) continue;
    const callee = calleeOf(span);
    if (!callee) continue;
    const key = peerKey(span);
    const counts = votes.get(key) ?? new Map<string, number>();
    counts.set(callee.serviceName, (counts.get(callee.serviceName) ?? 0) + 1);
    votes.set(key, counts);
  }
  const peerName = (span: SpanRecord): string => {
    const counts = votes.get(peerKey(span));
    if (counts) {
      return [...counts].sort(
        (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1),
      )[0][0];
    }
    return peerLabel(span);
  };

  /** Services of the spans a span links to, other than its own (one per service). */
  const linkedServices = (span: SpanRecord): string[] => [
    ...new Set(
      (span.links ?? [])
        .map(link => byKey.get(`${link.traceId}/${link.spanId}`)?.serviceName)
        .filter(
          (name): name is string =>
            name !== undefined && name !== span.serviceName,
        ),
    ),
  ];

  const shares: SpanShare[] = [];
  const calls: CallShare[] = [];
  const services = new Set(spans.map(span => span.serviceName));
  for (const span of spans) {
    const kids = childrenOf(span);
    const selfMs = Math.max(0, span.durationMs - coveredMs(span, kids));
    const failingChild = kids.some(isError);
    let node = span.serviceName;
    let wait = false;
    let errorNode = span.serviceName;
    if (isCall(span)) {
      const callee = calleeOf(span);
      const to = callee ? callee.serviceName : peerName(span);
      if (to !== span.serviceName && !isResourceWaitSpan(span)) {
        calls.push({ span, from: span.serviceName, to });
      }
      if (isResourceWaitSpan(span)) {
        wait = true;
      } else if (!callee && isCallerSideFailure(span)) {
        // The caller's own failure: its time and error stay with it.
      } else if (!callee) {
        node = to;
        errorNode = to;
      } else if (!failingChild) {
        errorNode = callee.serviceName;
      }
    }
    const destination = span.attributes['messaging.destination.name'];
    // Consumers continue a producer's trace only through span links, if at all: the services
    // of the linked producer spans call them; else the destination (queue, topic) they
    // consume from is the node that calls them.
    const producers = span.kind === CONSUMER ? linkedServices(span) : [];
    for (const from of producers)
      calls.push({ span, from, to: span.serviceName });
    if (
      span.kind === CONSUMER &&
      producers.length === 0 &&
      destination !== undefined
    ) {
      const from = String(destination);
      if (from !== span.serviceName)
        calls.push({ span, from, to: span.serviceName });
    }
    const failed = isError(span);
    shares.push({
      span,
      node,
      operation: span.name,
      selfMs,
      wait,
      originatingError: failed && !failingChild && errorNode === node,
      passedOnError: failed && failingChild,
    });
    if (failed && !failingChild && errorNode !== node) {
      // The callee answered without failing, yet the call failed: the callee's error.
      shares.push({
        span,
        node: errorNode,
        operation: span.name,
        selfMs: 0,
        wait: false,
        originatingError: true,
        passedOnError: false,
      });
    }
  }
  return { shares, calls, services };
}

/** The peer a client span calls, with its port where it names one (loopback labs share a host). */
function peerKey(span: SpanRecord): string {
  const port =
    span.attributes['server.port'] ?? span.attributes['net.peer.port'];
  return `${span.peerService ?? 'unknown'}:${port ?? ''}`;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/;

/**
 * A node name for a peer no service answered: its name, with the port when it is loopback; for
 * a message sent with no peer named, its destination (the queue or topic, as messaging semantic
 * conventions name it), since consumers continue such traces only through span links.
 */
function peerLabel(span: SpanRecord): string {
  const destination = span.attributes['messaging.destination.name'];
  if (!span.peerService && destination !== undefined)
    return String(destination);
  const peer = span.peerService ?? 'unknown';
  const port =
    span.attributes['server.port'] ?? span.attributes['net.peer.port'];
  return LOOPBACK.test(peer) && port !== undefined ? `${peer}:${port}` : peer;
}

/** Time of `span` covered by the union of its children's intervals. */
function coveredMs(span: SpanRecord, kids: SpanRecord[]): number {
  if (!kids.length) return 0;
  const start = span.startTimeMs;
  const end = span.startTimeMs + span.durationMs;
  const intervals = kids
    .map(k => [
      Math.max(start, k.startTimeMs),
      Math.min(end, k.startTimeMs + k.durationMs),
    ])
    .filter(([a, b]) => b > a)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let [curStart, curEnd] = intervals[0] ?? [0, 0];
  for (const [a, b] of intervals.slice(1)) {
    if (a > curEnd) {
      covered += curEnd - curStart;
      [curStart, curEnd] = [a, b];
    } else {
      curEnd = Math.max(curEnd, b);
    }
  }
  if (intervals.length) covered += curEnd - curStart;
  return covered;
}
