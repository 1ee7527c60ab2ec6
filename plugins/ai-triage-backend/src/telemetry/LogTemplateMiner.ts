/** The wildcard that stands for a variable part of a log message. */
const WILDCARD = '<*>';

/** One mined template: variables masked as `<*>`, with how many messages it matched. */
type MinedTemplate = {
  id: number;
  template: string;
  count: number;
};

type Cluster = {
  id: number;
  tokens: string[];
  count: number;
  /** The cluster this one was merged into, or null while it stands on its own. */
  mergedInto: number | null;
};

type TreeNode = { children: Map<string, TreeNode>; clusters: Cluster[] };

/**
 * Variables masked before mining; where several match at one position the first listed wins:
 * calendar dates written with month names (`Fri Jun 17`), UUIDs, IPv4 addresses with an
 * optional port, host names with a port (`db-1.internal:5432`), 0x-hex, file paths, long hex
 * ids, ids of letters and digits (`ord_mxcdppay2093`, `u123`, `a1b2c3d4e5`: a prefix and a
 * separator before a tail of both; a letter outside a-f before three digits or more; eight or
 * more letters and digits, some of each, standing alone), and numbers that stand apart from
 * letters, with an optional unit (`blk_-123`, `id=42`, `35.5ms` and `2048B` are masked, `utf8`
 * and `sha256` are not). Each mask decides only by what MessageShapes keeps of a message, so
 * messages of one shape are masked alike. Version numbers (`3.0.4`, `v2.8.0`) are kept, so the
 * start-up lines of two versions stay apart. All but the path mask need a digit, so messages
 * without digits skip them.
 */
const PATH = /(?<![\w.])(?:[A-Za-z]:)?(?:[\\/][\w.$@~+-]+){2,}[\\/]?/;
const VERSION = /(?<![\w.-])v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?(?![\w.])/;
const MASKS: RegExp[] = [
  /\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\b/,
  /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/,
  /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\d.])/,
  /(?<![\w.-])[A-Za-z][\w-]*(?:\.[\w-]+)*:\d{2,5}(?![\w:.])/,
  /\b0[xX][0-9a-fA-F]+\b/,
  PATH,
  /\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b/,
  /\b[A-Za-z]{1,12}[_-](?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{4,}\b/,
  /(?<![\w-])[G-Zg-z]\d{3,}(?![\w-])/,
  /(?<![\w-])(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{8,}(?![\w-])/,
  /(?<![A-Za-z0-9])[-+]?\d+(?:\.\d+)?(?:ms|us|µs|ns|s|[KMGT]i?B|[kmgt]b|B)?(?![A-Za-z0-9]|\.\d)/,
];

/** All masks as one pass of one expression, for speed; a version matches first and is kept. */
const ANY_MASK = new RegExp(
  [VERSION, ...MASKS].map(mask => `(${mask.source})`).join('|'),
  'g',
);
const PATH_MASK = new RegExp(PATH.source, 'g');

/** The miner's tunable parameters (see LogTemplateMiner). */
export type MinerOptions = {
  depth: number;
  similarityThreshold: number;
  mergeAfter: number;
};

/**
 * The default configuration: what `npm run bench:logs` chooses on half of the Loghub systems
 * (leave-systems-out; the script fails when its choice and this differ).
 */
export const DEFAULT_MINER_OPTIONS: MinerOptions = {
  depth: 3,
  similarityThreshold: 0.8,
  mergeAfter: 4,
};

/** Longest message mined; the rest of a huge message (a heap dump) adds nothing to its template. */
const MAX_MESSAGE_LENGTH = 4096;

/**
 * Deterministic log template mining after Drain (He et al., "Drain: An Online Log Parsing Approach
 * with Fixed Depth Tree", ICWS 2017). Messages are masked, split on whitespace and routed down a
 * tree of fixed depth, first by token count, then by their leading tokens (a token with a digit
 * goes down the wildcard branch); in the leaf the most similar template takes the message if its
 * similarity is at least `similarityThreshold`, and positions that differ become `<*>`.
 *
 * Similarity is the share of positions that are equal, where two differences from Drain hold:
 * a position masked in both the template and the message counts as equal, and two different
 * plain words (no digit, nothing masked) count against the match (-1), since a word that changes
 * is more often a different event (`from NEW to RUNNING`, `client SPP`) than a variable. A word
 * that is a variable (a user name) still becomes `<*>`: once `mergeAfter` templates of one leaf
 * differ from each other in the same single position, they are merged into the oldest of them,
 * with `<*>` there.
 *
 * One general configuration (DEFAULT_MINER_OPTIONS: depth 3, similarity 0.8, merge after 4,
 * chosen leave-systems-out by `npm run bench:logs`) serves every log format: the grouping
 * accuracy on each Loghub 2k sample is asserted in the tests. The same messages in the
 * same order always give the same templates and ids.
 */
export class LogTemplateMiner {
  private readonly root = new Map<number, TreeNode>();
  /** Every cluster founded, by id - 1; a merged cluster stays here, pointing at its survivor. */
  private readonly clusters: Cluster[] = [];

  static create(
    options: Partial<MinerOptions> & { maxChildren?: number } = {},
  ): LogTemplateMiner {
    return new LogTemplateMiner(
      options.depth ?? DEFAULT_MINER_OPTIONS.depth,
      options.similarityThreshold ?? DEFAULT_MINER_OPTIONS.similarityThreshold,
      options.maxChildren ?? 100,
      options.mergeAfter ?? DEFAULT_MINER_OPTIONS.mergeAfter,
    );
  }

  /**
   * @param depth - tree depth counting the root and the length level, so `depth - 2` leading
   *   tokens route a message
   * @param mergeAfter - how many templates differing in one position make it a variable
   */
  private constructor(
    private readonly depth: number,
    private readonly similarityThreshold: number,
    private readonly maxChildren: number,
    private readonly mergeAfter: number,
  ) {}

  /**
   * Mines one message; returns the id of the template it joined or founded. A template may later
   * be merged into an older one: `canonicalId`, `template` and `templates` follow such merges.
   */
  add(message: string): number {
    const tokens = tokenize(message);
    const leaf = this.leafFor(tokens);
    const match = this.bestMatch(leaf.clusters, tokens);
    if (match) {
      for (let i = 0; i < tokens.length; i++) {
        if (match.tokens[i] !== tokens[i]) match.tokens[i] = WILDCARD;
      }
      match.count += 1;
      return match.id;
    }
    const cluster: Cluster = {
      id: this.clusters.length + 1,
      tokens,
      count: 1,
      mergedInto: null,
    };
    this.clusters.push(cluster);
    leaf.clusters.push(cluster);
    return this.mergeVariablePosition(leaf, cluster);
  }

  /** The id a template id stands for now, after any merges. */
  canonicalId(id: number): number {
    let cluster = this.clusters[id - 1];
    while (cluster?.mergedInto) cluster = this.clusters[cluster.mergedInto - 1];
    return cluster?.id ?? id;
  }

  /** Every template so far, by id (the order they were founded in); merged ones are left out. */
  templates(): MinedTemplate[] {
    return this.clusters
      .filter(cluster => cluster.mergedInto === null)
      .map(({ id, tokens, count }) => ({
        id,
        template: tokens.join(' '),
        count,
      }));
  }

  /** The template of one id, as it stands now. */
  template(id: number): string | undefined {
    return this.clusters[this.canonicalId(id) - 1]?.tokens.join(' ');
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
    let bestScore = -Infinity;
    let bestWildcards = -1;
    for (const cluster of clusters) {
      let score = 0;
      let wildcards = 0;
      const template = cluster.tokens;
      for (let i = 0; i < template.length; i++) {
        const token = template[i];
        if (token === WILDCARD) {
          wildcards += 1;
          if (tokens[i] === WILDCARD) score += 1;
        } else if (token === tokens[i]) {
          score += 1;
        } else if (isPlainWord(token) && isPlainWord(tokens[i])) {
          score -= 1;
        }
      }
      if (
        score > bestScore ||
        (score === bestScore && wildcards > bestWildcards)
      ) {
        best = cluster;
        bestScore = score;
        bestWildcards = wildcards;
      }
    }
    const similarity = tokens.length === 0 ? 1 : bestScore / tokens.length;
    return best && similarity >= this.similarityThreshold ? best : undefined;
  }

  /**
   * When `cluster` and at least `mergeAfter - 1` older templates of its leaf differ from each
   * other only in one position, merges them into the oldest with `<*>` there; returns the id the
   * new cluster ends up with.
   */
  private mergeVariablePosition(leaf: TreeNode, cluster: Cluster): number {
    const tokens = cluster.tokens;
    const byPosition = new Map<number, Cluster[]>();
    for (const other of leaf.clusters) {
      if (other === cluster) continue;
      let position = -1;
      let differences = 0;
      for (let i = 0; i < tokens.length && differences < 2; i++) {
        if (other.tokens[i] !== tokens[i] && other.tokens[i] !== WILDCARD) {
          position = i;
          differences += 1;
        }
      }
      if (differences !== 1) continue;
      const siblings = byPosition.get(position);
      if (siblings) siblings.push(other);
      else byPosition.set(position, [other]);
    }
    // Lowest position first, for determinism (Map order is already insertion order).
    for (const position of [...byPosition.keys()].sort((a, b) => a - b)) {
      const siblings = byPosition.get(position)!;
      if (siblings.length + 1 < this.mergeAfter) continue;
      const [survivor, ...merged] = siblings;
      for (const other of [...merged, cluster]) {
        for (let i = 0; i < survivor.tokens.length; i++) {
          if (survivor.tokens[i] !== other.tokens[i]) {
            survivor.tokens[i] = WILDCARD;
          }
        }
        survivor.count += other.count;
        other.mergedInto = survivor.id;
        leaf.clusters.splice(leaf.clusters.indexOf(other), 1);
      }
      survivor.tokens[position] = WILDCARD;
      return survivor.id;
    }
    return cluster.id;
  }
}

const MIN_HEX_RUN = 4;
/** What every character of a mixed hex run is written as (not a hex character itself). */
const MIXED_HEX = 104;

/** By ASCII code: 1 for 0-9, 2 for a-f, 3 for A-F, 0 otherwise. */
const HEX_CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) HEX_CLASS[c] = 1;
for (let c = 97; c <= 102; c++) HEX_CLASS[c] = 2;
for (let c = 65; c <= 70; c++) HEX_CLASS[c] = 3;

/**
 * Groups messages by shape. Two messages have the same shape when they are equal after cutting
 * to the mined length, writing each of the digits 1-9 as 1, and writing every character of a
 * mixed hex run (at least four of [0-9a-fA-F], with both a digit and a letter) as one symbol.
 * The masks treat the digits 1-9 alike, and a mixed hex run only by its length and its
 * neighbours (the letters they name literally, in month names, `0x` and the `b`/`B` of units,
 * never stand in such a run where the mask could match), so messages of one shape are masked at
 * the same places and differ at most in characters the masks keep (`utf8`, `utf9`). Mining one
 * message per shape and counting the others with it saves masking repeated messages whose ids
 * and numbers differ.
 *
 * For speed a shape is known by two hashes of it (30 and 31 bits), computed in one pass without
 * building a string: two different shapes mix only if both collide (for a million shapes, a
 * chance of about one in ten million).
 */
export class MessageShapes<T> {
  private readonly buckets = new Map<
    number,
    Array<{ check: number; value: T }>
  >();

  /** The value of the message's shape, made by `create` the first time the shape is seen. */
  valueOf(message: string, create: () => T): T {
    const length = Math.min(message.length, MAX_MESSAGE_LENGTH);
    let key = 0x811c9dc5 ^ length;
    let check = 0x9747b28c ^ length;
    let runEnd = -1;
    let mapRun = false;
    for (let i = 0; i < length; i++) {
      let c = message.charCodeAt(i);
      const kind = c < 128 ? HEX_CLASS[c] : 0;
      if (kind !== 0) {
        if (i >= runEnd) {
          // A hex run starts here: find where it ends and what it holds.
          let end = i;
          let digit = false;
          let letter = false;
          while (end < length) {
            const next = message.charCodeAt(end);
            const k = next < 128 ? HEX_CLASS[next] : 0;
            if (k === 0) break;
            if (k === 1) digit = true;
            else letter = true;
            end += 1;
          }
          runEnd = end;
          mapRun = digit && letter && end - i >= MIN_HEX_RUN;
        }
        if (mapRun) c = MIXED_HEX;
        else if (kind === 1 && c !== 48) c = 49;
      }
      key = Math.imul(key ^ c, 0x01000193);
      check = (Math.imul(check, 31) + c) | 0;
    }
    // 30 and 31 bits: small integers, the fastest kind of Map key and compare.
    key &= 0x3fffffff;
    check &= 0x7fffffff;
    let bucket = this.buckets.get(key);
    if (bucket) {
      for (const entry of bucket) {
        if (entry.check === check) return entry.value;
      }
    } else {
      bucket = [];
      this.buckets.set(key, bucket);
    }
    const value = create();
    bucket.push({ check, value });
    return value;
  }
}

/** Masks the variables of a message and splits it into tokens. */
export function tokenize(message: string): string[] {
  let masked = message.slice(0, MAX_MESSAGE_LENGTH);
  if (hasDigit(masked)) {
    masked = masked.replace(ANY_MASK, (match, version) =>
      version === undefined ? WILDCARD : match,
    );
  } else {
    masked = masked.replace(PATH_MASK, WILDCARD);
  }
  return masked.split(/\s+/).filter(token => token.length > 0);
}

function hasDigit(token: string): boolean {
  return /\d/.test(token);
}

/** A token with no digit and nothing masked in it. */
function isPlainWord(token: string | undefined): boolean {
  return token !== undefined && !hasDigit(token) && !token.includes(WILDCARD);
}

function emptyNode(): TreeNode {
  return { children: new Map(), clusters: [] };
}
