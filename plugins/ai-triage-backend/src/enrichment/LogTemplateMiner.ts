/** The wildcard that stands for a variable part of a log message. */
export const WILDCARD = '<*>';

/** One mined template: variables masked as `<*>`, with how many messages it matched. */
export type MinedTemplate = {
  id: number;
  template: string;
  count: number;
};

type Cluster = { id: number; tokens: string[]; count: number };

type TreeNode = { children: Map<string, TreeNode>; clusters: Cluster[] };

/**
 * Variables masked before mining, in this order (an earlier mask hides its match from the later
 * ones): UUIDs, IPv4 addresses with an optional port, 0x-hex, file paths, long hex ids, and
 * numbers that stand apart from letters, with an optional unit (`blk_-123`, `id=42` and `35.5ms`
 * are masked, `utf8` is not).
 */
const MASKS: RegExp[] = [
  /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi,
  /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\d.])/g,
  /\b0x[0-9a-f]+\b/gi,
  /(?<![\w.])(?:[A-Za-z]:)?(?:[\\/][\w.$@~+-]+){2,}[\\/]?/g,
  /\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi,
  /(?<![A-Za-z0-9])[-+]?\d+(?:\.\d+)?(?:ms|us|µs|ns|s|[KMGT]i?B|[kmgt]b)?(?![A-Za-z0-9]|\.\d)/g,
];

/** Longest message mined; the rest of a huge message (a heap dump) adds nothing to its template. */
const MAX_MESSAGE_LENGTH = 4096;

/**
 * Deterministic log template mining after Drain (He et al., "Drain: An Online Log Parsing Approach
 * with Fixed Depth Tree", ICWS 2017). Messages are masked, split on whitespace and routed down a
 * tree of fixed depth, first by token count, then by their leading tokens (a token with a digit
 * goes down the wildcard branch); in the leaf the most similar template takes the message if at
 * least `similarityThreshold` of its tokens are equal, and positions that differ become `<*>`.
 * Unlike the original, a position masked in both the template and the message counts as equal.
 *
 * The defaults (depth 4, similarity 0.7) scored best on the Loghub 2k samples; the grouping
 * accuracy per system is asserted in the tests. The same messages in the same order always give
 * the same templates and ids.
 */
export class LogTemplateMiner {
  private readonly root = new Map<number, TreeNode>();
  private readonly clusters: Cluster[] = [];

  static create(
    options: {
      depth?: number;
      similarityThreshold?: number;
      maxChildren?: number;
    } = {},
  ): LogTemplateMiner {
    return new LogTemplateMiner(
      options.depth ?? 4,
      options.similarityThreshold ?? 0.7,
      options.maxChildren ?? 100,
    );
  }

  /**
   * @param depth - tree depth counting the root and the length level, so `depth - 2` leading
   *   tokens route a message
   */
  private constructor(
    private readonly depth: number,
    private readonly similarityThreshold: number,
    private readonly maxChildren: number,
  ) {}

  /** Mines one message; returns the id of the template it joined or founded. */
  add(message: string): number {
    const tokens = tokenize(message);
    const leaf = this.leafFor(tokens);
    const match = this.bestMatch(leaf.clusters, tokens);
    if (match) {
      match.tokens = match.tokens.map((token, i) =>
        token === tokens[i] ? token : WILDCARD,
      );
      match.count += 1;
      return match.id;
    }
    const cluster: Cluster = { id: this.clusters.length + 1, tokens, count: 1 };
    this.clusters.push(cluster);
    leaf.clusters.push(cluster);
    return cluster.id;
  }

  /** Every template so far, by id (the order they were founded in). */
  templates(): MinedTemplate[] {
    return this.clusters.map(({ id, tokens, count }) => ({
      id,
      template: tokens.join(' '),
      count,
    }));
  }

  /** The template of one id, as it stands now. */
  template(id: number): string | undefined {
    return this.clusters[id - 1]?.tokens.join(' ');
  }

  private leafFor(tokens: string[]): TreeNode {
    let node = this.root.get(tokens.length);
    if (!node) {
      node = emptyNode();
      this.root.set(tokens.length, node);
    }
    const routingTokens = Math.min(this.depth - 2, tokens.length);
    for (let i = 0; i < routingTokens; i++) {
      node = this.child(node, hasDigit(tokens[i]) ? WILDCARD : tokens[i]);
    }
    return node;
  }

  /** The child for a token; once a node is full, new tokens share its wildcard child. */
  private child(node: TreeNode, token: string): TreeNode {
    const existing = node.children.get(token);
    if (existing) return existing;
    const key =
      node.children.size < this.maxChildren - 1 || token === WILDCARD
        ? token
        : WILDCARD;
    let child = node.children.get(key);
    if (!child) {
      child = emptyNode();
      node.children.set(key, child);
    }
    return child;
  }

  private bestMatch(
    clusters: Cluster[],
    tokens: string[],
  ): Cluster | undefined {
    let best: Cluster | undefined;
    let bestSimilarity = -1;
    let bestWildcards = -1;
    for (const cluster of clusters) {
      let equal = 0;
      let wildcards = 0;
      cluster.tokens.forEach((token, i) => {
        if (token === WILDCARD) {
          wildcards += 1;
          if (tokens[i] === WILDCARD) equal += 1;
        } else if (token === tokens[i]) equal += 1;
      });
      const similarity = tokens.length === 0 ? 1 : equal / tokens.length;
      if (
        similarity > bestSimilarity ||
        (similarity === bestSimilarity && wildcards > bestWildcards)
      ) {
        best = cluster;
        bestSimilarity = similarity;
        bestWildcards = wildcards;
      }
    }
    return best && bestSimilarity >= this.similarityThreshold
      ? best
      : undefined;
  }
}

/** Masks the variables of a message and splits it into tokens. */
export function tokenize(message: string): string[] {
  let masked = message.slice(0, MAX_MESSAGE_LENGTH);
  for (const mask of MASKS) {
    masked = masked.replace(mask, WILDCARD);
  }
  return masked.split(/\s+/).filter(token => token.length > 0);
}

function hasDigit(token: string): boolean {
  return /\d/.test(token);
}

function emptyNode(): TreeNode {
  return { children: new Map(), clusters: [] };
}
