import { SpanRecord } from '@ai-triage/plugin-ai-triage-node';

export const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);
/** Seconds of healthy traffic before the fault, and of the fault: as the lab records. */
export const HEALTHY_S = 120;
export const FAULT_S = 90;
export const FAULT_MS = T0 + HEALTHY_S * 1000;

type Fault = {
  /** Extra own time of a service during the fault. */
  slow?: { service: string; ms: number };
  /** A service whose own work fails during the fault (share of requests). */
  failing?: { service: string; share: number; message: string };
  /** Pool waits inside a service: a `pg-pool.connect` client span that waits this long. */
  poolWait?: { service: string; ms: number };
};

/**
 * Traces of a small shop, five requests a second for `HEALTHY_S + FAULT_S` seconds: frontend →
 * checkout → payments → ledger, and ledger → postgres (pool connect, then a query, as
 * @opentelemetry/instrumentation-pg emits them: client spans, nobody answers them). During the
 * fault (from FAULT_MS) the given fault applies. A small deterministic jitter keeps MADs above 0.
 */
export function shopTraces(
  fault: Fault,
  options: { healthyS?: number } = {},
): SpanRecord[] {
  const spans: SpanRecord[] = [];
  const healthyS = options.healthyS ?? HEALTHY_S;
  const start = FAULT_MS - healthyS * 1000;
  const chain = ['frontend', 'checkout', 'payments', 'ledger'];
  let n = 0;
  for (let t = start; t < FAULT_MS + FAULT_S * 1000; t += 200) {
    n += 1;
    const inFault = t >= FAULT_MS;
    const traceId = n.toString(16).padStart(32, '0');
    const jitter = (k: number) => ((n * 7 + k * 13) % 5) * 0.4;
    let idCounter = 0;
    const id = () =>
      `${n.toString(16).padStart(8, '0')}${(++idCounter)
        .toString(16)
        .padStart(8, '0')}`;
    const failingHere = (service: string) =>
      inFault &&
      fault.failing?.service === service &&
      n % Math.round(1 / fault.failing.share) === 0;
    // Build bottom-up durations.
    const ownMs = (service: string, k: number) =>
      3 +
      jitter(k) +
      (inFault && fault.slow?.service === service ? fault.slow.ms : 0);
    const emit = (
      depth: number,
      parentId: string | null,
      at: number,
    ): { durationMs: number; error: boolean } => {
      const service = chain[depth];
      const serverId = id();
      let cursor = at + ownMs(service, depth) / 2;
      let childError = false;
      const children: SpanRecord[] = [];
      if (depth + 1 < chain.length) {
        const clientId = id();
        const callStart = cursor;
        const inner = emit(depth + 1, clientId, callStart + 0.5);
        const callMs = inner.durationMs + 1;
        children.push({
          traceId,
          spanId: clientId,
          parentSpanId: serverId,
          serviceName: service,
          name: `POST /${chain[depth + 1]}`,
          kind: 3,
          startTimeMs: callStart,
          durationMs: callMs,
          statusCode: inner.error ? 2 : 0,
          statusMessage: inner.error ? 'HTTP 500' : null,
          peerService: chain[depth + 1],
          attributes: { 'server.port': 8080 + depth + 1 },
        });
        cursor += callMs;
        childError = inner.error;
      } else {
        // ledger → postgres: pool connect, then the query.
        const wait =
          inFault && fault.poolWait?.service === service
            ? fault.poolWait.ms
            : 0.2;
        const connectId = id();
        children.push({
          traceId,
          spanId: connectId,
          parentSpanId: serverId,
          serviceName: service,
          name: 'pg-pool.connect',
          kind: 3,
          startTimeMs: cursor,
          durationMs: wait,
          statusCode: 0,
          statusMessage: null,
          peerService: 'postgresql',
          attributes: { 'db.system': 'postgresql', 'server.port': 5432 },
        });
        cursor += wait;
        const queryMs = 2 + jitter(9);
        children.push({
          traceId,
          spanId: id(),
          parentSpanId: serverId,
          serviceName: service,
          name: 'pg.query:SELECT shop',
          kind: 3,
          startTimeMs: cursor,
          durationMs: queryMs,
          statusCode: 0,
          statusMessage: null,
          peerService: 'postgresql',
          attributes: { 'db.system': 'postgresql', 'server.port': 5432 },
        });
        cursor += queryMs;
      }
      const ownError = failingHere(service);
      const error = ownError || childError;
      const durationMs = cursor - at + ownMs(service, depth) / 2;
      spans.push(
        {
          traceId,
          spanId: serverId,
          parentSpanId: parentId,
          serviceName: service,
          name: `POST /${service}`,
          kind: 2,
          startTimeMs: at,
          durationMs,
          statusCode: error ? 2 : 0,
          statusMessage: ownError
            ? fault.failing!.message
            : error
            ? 'HTTP 500'
            : null,
          peerService: null,
          attributes: {},
        },
        ...children,
      );
      return { durationMs, error };
    };
    emit(0, null, t);
  }
  return spans;
}
