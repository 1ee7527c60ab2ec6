import { GITLEAKS_PATTERNS } from './secretPatterns';

/** What a secret is replaced with. */
export const REDACTED = '[REDACTED]';

type Rule = {
  /** What the rule finds, as counted in a context document's `redactionsByKind`. */
  kind: string;
  pattern: RegExp;
  /** The replacement for one match; return the match itself to keep it. */
  replace: (match: string, ...groups: string[]) => string;
};

const SECRET_KEYS =
  '[\\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|account[_-]?key|client[_-]?secret|session[_-]?id)';

/** Luhn checksum, so that only card-like numbers are taken for card numbers. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Bits of Shannon entropy per character of a text. */
function entropyPerChar(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Whether a token looks like a random secret rather than a name, a path or an id. */
function looksRandom(token: string): boolean {
  if (!/[a-z]/.test(token) || !/[A-Z]/.test(token) || !/\d/.test(token)) {
    return false;
  }
  // Words joined by separators (CamelCase names, kebab-case ids) are not random.
  if (/^(?:[A-Za-z][a-z]+|\d+)(?:[-_]?(?:[A-Za-z][a-z]+|\d+))+$/.test(token)) {
    return false;
  }
  return entropyPerChar(token) >= 4.2;
}

/** Applied in this order; a later rule does not count what an earlier one already replaced. */
const SECRET_RULES: Rule[] = [
  {
    // PEM private keys, whole blocks.
    kind: 'private-key',
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    replace: () => REDACTED,
  },
  {
    // JSON Web Tokens: base64url header and payload (both JSON objects, so `eyJ`), signature.
    kind: 'jwt',
    pattern: /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g,
    replace: () => REDACTED,
  },
  {
    // Authorization header credentials.
    kind: 'authorization',
    pattern: /\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{8,}/g,
    replace: (_match, scheme, space) => `${scheme}${space}${REDACTED}`,
  },
  {
    // Passwords in URLs: scheme://user:password@host.
    kind: 'url-password',
    pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(@)/gi,
    replace: (match, prefix, password, at) =>
      password === REDACTED ? match : `${prefix}${REDACTED}${at}`,
  },
  {
    // password=..., "api_key": "...", secret: ... (quoted or bare values).
    kind: 'secret-value',
    pattern: new RegExp(
      `(["']?)\\b(${SECRET_KEYS})\\1(\\s*[=:]\\s*)("[^"]*"|'[^']*'|\\[REDACTED\\]|[^\\s,;&"'}\\]]+)`,
      'gi',
    ),
    replace: (match, quote, key, separator, value, offset, text) => {
      const quoted = /^["']/.test(value) ? value[0] : '';
      const inner = quoted ? value.slice(1, -1) : value;
      // Already masked, empty, or a mined template's variable: nothing to hide.
      if (inner === REDACTED || inner === '' || inner === '<*>') return match;
      // Prose, not a value: "password: must be at least 12 characters", "invalid_token:
      // session ended". After a colon, a bare lower-case word that a sentence goes on from is
      // kept (an assignment, `password=x`, is always masked).
      const rest = text.slice(Number(offset) + match.length);
      if (
        !quoted &&
        separator.includes(':') &&
        /^[a-z]+$/.test(inner) &&
        /^\s+[a-z]/.test(rest)
      ) {
        return match;
      }
      return `${quote}${key}${quote}${separator}${quoted}${REDACTED}${quoted}`;
    },
  },
  {
    // AWS access key ids.
    kind: 'aws-access-key',
    pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g,
    replace: () => REDACTED,
  },
  {
    // Vendors' API tokens, by their documented prefixes: GitHub, GitLab, Slack (tokens and
    // webhook URLs), Stripe, OpenAI, Anthropic, Google, npm, SendGrid, Twilio, Hugging Face,
    // Shopify, DigitalOcean, Mailgun.
    kind: 'api-token',
    pattern: new RegExp(
      [
        '\\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})',
        '\\bglpat-[A-Za-z0-9_-]{20,}',
        '\\bxox[abposr]-[A-Za-z0-9-]{10,}',
        'https://hooks\\.slack\\.com/services/[A-Za-z0-9/]+',
        '\\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}',
        '\\bwhsec_[A-Za-z0-9]{20,}',
        '\\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}',
        '\\bAIza[0-9A-Za-z_-]{35}',
        '\\bnpm_[A-Za-z0-9]{36}',
        '\\bSG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}',
        '\\bSK[0-9a-f]{32}\\b',
        '\\bhf_[A-Za-z0-9]{30,}',
        '\\bshp(?:at|ss|ca|pa)_[0-9a-fA-F]{32}',
        '\\bdo[por]_v1_[0-9a-f]{64}',
        '\\bkey-[0-9a-f]{32}\\b',
        ...GITLEAKS_PATTERNS.map(({ pattern }) => `\\b${pattern}`),
      ].join('|'),
      'g',
    ),
    replace: () => REDACTED,
  },
  {
    // E-mail addresses.
    kind: 'email',
    pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g,
    replace: () => REDACTED,
  },
  {
    // Random-looking tokens no pattern names (a generic API key, a session secret): 24 or
    // more characters of a key alphabet, mixing upper case, lower case and digits, with high
    // Shannon entropy. Hex (trace and span ids, hashes, commit ids) and UUIDs never match:
    // they have no upper and lower case mixed, or have too little entropy per character.
    kind: 'high-entropy',
    pattern: /(?<![\w+/=-])[A-Za-z0-9+/_=-]{24,}(?![\w+/=-])/g,
    replace: match => (looksRandom(match) ? REDACTED : match),
  },
  {
    kind: 'card-number',
    // Card-like numbers: 13 to 19 digits starting 2-6 (the card networks' ranges, which keeps
    // epoch timestamps out), optionally grouped by spaces or dashes, Luhn-valid, and not glued
    // to letters (the digit groups of a UUID or a hash can be Luhn-valid by chance).
    pattern: /(?<![\w-])[2-6](?:[ -]?\d){12,18}(?![\w-])/g,
    replace: match =>
      luhnValid(match.replace(/[ -]/g, '')) ? REDACTED : match,
  },
];

/** IPv4 addresses and IPv6 addresses written in full or with `::`. */
const IP_RULE: Rule = {
  kind: 'ip-address',
  pattern:
    /(?<![\w.:])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,5})?(?![\w:])/g,
  replace: () => REDACTED,
};

/** How a context is redacted, from `aiTriage.enrichment.redaction`. */
export type RedactionOptions = {
  /** Mask e-mail addresses. Default true. */
  emails?: boolean;
  /** Mask IPv4 and IPv6 addresses. Default false. */
  ipAddresses?: boolean;
  /** More patterns to mask (JavaScript regular expressions), counted as `custom:<name>`. */
  patterns?: Array<{ name: string; pattern: string }>;
};

/** Redactions by kind, added up over everything one context document holds. */
export type RedactionTally = Record<string, number>;

/**
 * Masks secrets and personal data in free text (alert summaries, log templates and samples, span
 * names and status messages, metric attributes) before it goes into a context document: private
 * keys, JWTs, bearer/basic credentials, passwords in URLs, `password=` / `secret=` / `token=` /
 * `api_key=` values (also as JSON), AWS access key ids, vendors' API tokens, card-like numbers,
 * e-mail addresses (unless switched off), IP addresses (if switched on) and custom patterns.
 */
export class Redactor {
  static create(options: RedactionOptions = {}): Redactor {
    const rules = SECRET_RULES.filter(
      rule => rule.kind !== 'email' || options.emails !== false,
    );
    if (options.ipAddresses) rules.push(IP_RULE);
    for (const { name, pattern } of options.patterns ?? []) {
      let compiled: RegExp;
      try {
        compiled = new RegExp(pattern, 'g');
      } catch (error) {
        throw new Error(
          `Redaction pattern ${name} is not a valid regular expression: ${
            (error as Error).message
          }`,
        );
      }
      if (compiled.test('')) {
        throw new Error(`Redaction pattern ${name} matches the empty string`);
      }
      rules.push({
        kind: `custom:${name}`,
        pattern: compiled,
        replace: () => REDACTED,
      });
    }
    return new Redactor(rules);
  }

  /**
   * All built-in rules in one case-insensitive expression (back-references loosened), which
   * matches wherever any of them could: text it does not match skips them.
   */
  private readonly prefilter: RegExp;

  private constructor(private readonly rules: Rule[]) {
    this.prefilter = new RegExp(
      rules
        .filter(rule => !rule.kind.startsWith('custom:'))
        .map(rule => `(?:${rule.pattern.source.replace(/\\1/g, `["']?`)})`)
        .join('|'),
      'i',
    );
  }

  /** Masks one text; counts what it masked into `tally` by kind. */
  redact(text: string, tally?: RedactionTally): string {
    let result = text;
    const builtIn = this.prefilter.test(text);
    for (const rule of this.rules) {
      if (!builtIn && !rule.kind.startsWith('custom:')) continue;
      const applied = applyRule(result, rule);
      result = applied.text;
      if (applied.count > 0 && tally) {
        tally[rule.kind] = (tally[rule.kind] ?? 0) + applied.count;
      }
    }
    return result;
  }
}

const DEFAULT_REDACTOR = Redactor.create();

/**
 * Masks secrets and personal data with the default rules (see Redactor); returns the masked text
 * and how many values were masked.
 */
export function redact(text: string): { text: string; count: number } {
  const tally: RedactionTally = {};
  const masked = DEFAULT_REDACTOR.redact(text, tally);
  return {
    text: masked,
    count: Object.values(tally).reduce((sum, n) => sum + n, 0),
  };
}

/** The sum of a tally. */
export function tallyTotal(tally: RedactionTally): number {
  return Object.values(tally).reduce((sum, n) => sum + n, 0);
}

function applyRule(text: string, rule: Rule): { text: string; count: number } {
  let count = 0;
  rule.pattern.lastIndex = 0;
  const result = text.replace(
    rule.pattern,
    (match: string, ...groups: unknown[]) => {
      const replacement = rule.replace(match, ...(groups as string[]));
      if (replacement !== match) count += 1;
      return replacement;
    },
  );
  return { text: result, count };
}

/**
 * Redacts every string of a finished document (any JSON value) with the redactor: values and
 * keys, at any depth. Returns the redacted copy and adds what it masked to `tally`. The one pass
 * over everything that enters a context document: a field that no summarizer redacted (an alert
 * name, an id, an operation) cannot carry a secret through.
 */
function redactDeep<T>(value: T, redactor: Redactor, tally: RedactionTally): T {
  const visit = (node: unknown): unknown => {
    if (typeof node === 'string') return redactor.redact(node, tally);
    if (Array.isArray(node)) return node.map(visit);
    if (node && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node).map(([key, entry]) => [
          redactor.redact(key, tally),
          visit(entry),
        ]),
      );
    }
    return node;
  };
  return visit(value) as T;
}

/** A context document after one redaction pass over all of it, with its counts updated. */
export function redactDocument<
  T extends { redactions: number; redactionsByKind?: Record<string, number> },
>(document: T, redactor: Redactor): T {
  const tally: RedactionTally = {};
  const redacted = redactDeep(document, redactor, tally);
  const byKind: RedactionTally = { ...(document.redactionsByKind ?? {}) };
  for (const [kind, count] of Object.entries(tally)) {
    byKind[kind] = (byKind[kind] ?? 0) + count;
  }
  return {
    ...redacted,
    redactions: document.redactions + tallyTotal(tally),
    redactionsByKind: Object.fromEntries(
      Object.keys(byKind)
        .sort()
        .map(kind => [kind, byKind[kind]]),
    ),
  };
}
