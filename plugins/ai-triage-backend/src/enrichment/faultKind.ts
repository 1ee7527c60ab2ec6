import { FaultKind } from '@ai-triage/plugin-ai-triage-common';

/** Evidence other than spans about one node, gathered by enrichment. */
export type NodeEvidence = {
  /** Texts of its new or grown log templates and its error messages. */
  texts: string[];
  /** Metric names read near their limit. */
  nearLimit: string[];
  /** Whether a deploy or restart of it falls in the compared windows. */
  changed: boolean;
  /** Whether its metrics show it starved of CPU (see cpuStarved in computeMetricDeltas). */
  cpuStarved?: boolean;
  evidenceIds: string[];
};

/**
 * Errors of input the service cannot process: a poison message, a malformed request. Besides
 * the usual words, the messages of the common JSON parsers for truncated or broken input (V8's
 * JSON.parse: "Unexpected end of JSON input", "Unterminated string in JSON at position 37";
 * Jackson's "Unexpected end-of-input"; Go's "unexpected end of JSON input").
 */
export const BAD_INPUT =
  /deserializ|unmarshal|malformed|unexpected token|not valid json|invalid (json|input|message|payload|format)|parse error|failed to parse|schema validation|unexpected end[ -]of[ -](json )?input|unterminated string|in json at position/i;
const NETWORK =
  /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|getaddrinfo|no such host|name resolution|\bDNS\b|connection refused|certificate|x509|\bTLS\b|\bSSL\b|handshake|socket hang up/i;
const RATE_LIMIT = /\b429\b|rate.?limit|too many requests|quota/i;
// "timeout", "time out" and "timed out" (Node: "... timed out after 2000 ms").
const TIMEOUT = /timed? ?out|ETIMEDOUT|deadline exceeded|\b504\b/i;
const WAIT_TEXT =
  /pool|acquir|connection is not available|connection limit|too many clients|remaining connection slots|\block(s|ed)?\b|deadlock|semaphore|queue (full|wait)/i;
/** Metrics near their limit that are a resource the service waits for (a pool, threads, a queue). */
const WAIT_METRIC = /connection|pool|thread|worker|lock|queue|semaphore/i;
const SATURATION_TEXT =
  /heap|out of memory|\bOOM|memory|garbage collect|\bGC\b|cpu|throttl|disk full|no space|event_?loop/i;

/**
 * The kind a node's own evidence points to. Error texts decide between network, rate-limit and
 * timeout (timeouts only when most of its calls end in one); texts and metrics naming a pool or
 * lock make a slowdown a resource wait, as does wait-span time that grew; memory, GC or CPU near
 * a limit make it saturation; a deploy of the node in the windows makes it a deploy. A process
 * starved of CPU (see cpuStarved) is saturated whatever its errors say: its timeouts and reset
 * connections are what a process that cannot run its callbacks produces.
 */
export function kindOf(options: {
  timeChanged: boolean;
  errorsChanged: boolean;
  /** The share of its requests in the incident window whose errors originate in it. */
  errorShare?: number;
  waitGrew: boolean;
  /** The node's originating errors' messages in the incident window. */
  errorMessages: string[];
  evidence?: NodeEvidence;
}): FaultKind {
  const { evidence } = options;
  if (evidence?.changed) return 'deploy';
  const errorText = options.errorMessages.join('\n');
  const texts = [...(evidence?.texts ?? []), errorText].join('\n');
  const limits = (evidence?.nearLimit ?? []).join('\n');
  if (options.waitGrew || WAIT_TEXT.test(texts) || WAIT_METRIC.test(limits)) {
    return 'resource-wait';
  }
  if (evidence?.cpuStarved) return 'saturation';
  // A timeout is how a slow callee looks to its caller: it names the fault when most calls end
  // in one (the callee does not answer). A node whose time grew and that still answers most
  // calls (a minority timing out) is slow.
  const answersMost = options.timeChanged && (options.errorShare ?? 1) < 0.5;
  if (options.errorsChanged) {
    if (RATE_LIMIT.test(errorText)) return 'rate-limit';
    if (NETWORK.test(errorText)) return 'network';
    if (TIMEOUT.test(errorText) && !answersMost) return 'timeout';
  }
  if (SATURATION_TEXT.test(limits) || SATURATION_TEXT.test(texts))
    return 'saturation';
  if (options.errorsChanged) {
    if (BAD_INPUT.test(errorText)) return 'bad-input';
    if (RATE_LIMIT.test(texts)) return 'rate-limit';
    if (NETWORK.test(texts)) return 'network';
    if (TIMEOUT.test(texts)) return answersMost ? 'latency' : 'timeout';
    return 'errors';
  }
  return 'latency';
}
