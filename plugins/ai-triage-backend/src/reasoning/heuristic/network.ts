import { ContextDocument, FaultKind } from '@ai-triage/plugin-ai-triage-common';
import { Candidate } from './scoring';
import { possessive, sentences, unique } from './text';

/**
 * Network and provider failures: how a dependency's calls fail, read from the words of its
 * errors (span status messages, error logs), and name resolution failing for several
 * dependencies at once.
 *
 * Evidence: error texts tied to a failing dependency (dependencies.ts decides which). These are
 * the standard messages of Go, Java, Node and OpenSSL clients for each failure (for TLS also
 * OpenSSL's certificate verification errors as Node reports them: "self-signed certificate",
 * "unable to verify the first certificate", and their codes); a match names the
 * mode, not the probability. Baseline comparison: none of its own; the dependency's error rate
 * must have grown against the baseline (dependencies.ts), else the rule does not run.
 */
const FAILURE_MODES: Array<{
  mode: 'tls' | 'dns' | 'rate-limit' | 'refused' | 'timeout';
  kind: FaultKind;
  pattern: RegExp;
}> = [
  {
    mode: 'tls',
    kind: 'network',
    pattern:
      /x509[^"\n]{0,80}|certificate (has )?(expired|is not yet valid|signed by unknown authority|verify failed)[^"\n]{0,40}|self[- ]signed certificate[^"\n]{0,40}|unable to (verify the first certificate|verify leaf signature|get (local )?issuer certificate)|does not match certificate's altnames|(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID)|PKIX path building failed|tls(:| handshake)[^"\n]{0,80}|ssl[_ ]?(handshake|error)[^"\n]{0,60}/i,
  },
  {
    mode: 'dns',
    kind: 'network',
    pattern:
      /lookup \S+ on \S+:53: [^"\n]{0,40}|no such host|nxdomain|enotfound|eai_again|getaddrinfo[^"\n]{0,40}|name resolution[^"\n]{0,40}|temporary failure in name resolution/i,
  },
  {
    mode: 'rate-limit',
    kind: 'rate-limit',
    pattern:
      /\b429\b(?: too many requests)?|too many requests|rate[ -]?limit(ed|ing)?|quota exceeded/i,
  },
  {
    mode: 'refused',
    kind: 'network',
    pattern:
      /econnrefused|connection refused[^"\n]{0,40}|econnreset|connection reset[^"\n]{0,40}/i,
  },
  {
    mode: 'timeout',
    kind: 'timeout',
    pattern: /timed? ?out[^"\n]{0,40}|deadline exceeded|etimedout/i,
  },
];
export type FailureMode = (typeof FAILURE_MODES)[number]['mode'];

/**
 * The failure mode its messages name, with the words that show it. With `counts` (how often
 * each text occurred), the mode of the most occurrences wins: a caller's log holds the side
 * effects of a fault too (a few connections reset while hundreds of requests time out), and
 * the many are the fault. Without counts, or on a tie, the first mode in FAILURE_MODES wins.
 */
export function failureModeOf(
  texts: string[],
  counts?: number[],
): { mode: FailureMode; kind: FaultKind; excerpt: string } | undefined {
  let best:
    | { mode: FailureMode; kind: FaultKind; excerpt: string; total: number }
    | undefined;
  for (const { mode, kind, pattern } of FAILURE_MODES) {
    let found: { excerpt: string; total: number } | undefined;
    texts.forEach((text, index) => {
      const match = pattern.exec(text);
      if (!match) return;
      found = {
        excerpt: found?.excerpt ?? match[0].trim(),
        total: (found?.total ?? 0) + (counts?.[index] ?? 1),
      };
    });
    if (!found) continue;
    if (!counts) return { mode, kind, excerpt: found.excerpt };
    if (!best || found.total > best.total) best = { mode, kind, ...found };
  }
  return best && { mode: best.mode, kind: best.kind, excerpt: best.excerpt };
}

/**
 * Several dependencies failing with DNS errors at once point at name resolution itself (the
 * cluster DNS, or the service's resolver), not at the dependencies.
 *
 * Evidence: two or more dependency candidates whose errors are DNS failures. Baseline: theirs
 * (each dependency's error rate grew); the shared cause is one step stronger (+0.1) than the
 * strongest of them, because two independent dependencies failing the same way at once is
 * unlikely to be two faults.
 */
export function sharedNameResolution(
  context: ContextDocument,
  dependencies: Array<Candidate & { failureMode?: FailureMode }>,
): Candidate[] {
  const dns = dependencies.filter(c => c.failureMode === 'dns');
  if (dns.length < 2) return [];
  const service = context.serviceName;
  const peers = dns.map(c => c.origin);
  const missing = dns.find(c => c.baselineMissing)?.baselineMissing;
  return [
    {
      strength: Math.min(1, Math.max(...dns.map(c => c.strength)) + 0.1),
      order: 5,
      rule: 'network',
      kind: 'network',
      origin: 'dns',
      baselineMissing: missing,
      hypothesis: {
        rootCause: `Name resolution (DNS) fails for ${service}: lookups of ${peers.join(
          ' and ',
        )} fail at the same time, so the cluster DNS or ${possessive(
          service,
        )} resolver is the likely cause rather than these services.`,
        affectedComponents: [service, ...peers],
        reasoning: sentences(
          `Calls to ${peers.length} different dependencies fail with DNS errors in the same window.`,
          ...dns.map(c => `${c.hypothesis.reasoning.split('. ')[0]}.`),
        ),
        diagnosticSteps: [
          `Check the cluster DNS: kubectl -n kube-system get pods -l k8s-app=kube-dns, its logs, replicas and CPU.`,
          `Resolve the names from a pod of ${service}: kubectl exec deploy/${service} -- nslookup ${peers[0]}.`,
          `Look for recent changes to DNS (CoreDNS config, replicas, NetworkPolicies blocking port 53).`,
        ],
        evidenceIds: unique(dns.flatMap(c => c.hypothesis.evidenceIds)),
      },
    },
  ];
}
