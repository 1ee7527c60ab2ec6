/** What a secret is replaced with. */
export const REDACTED = '[REDACTED]';

type Rule = {
  pattern: RegExp;
  /** The replacement for one match; return the match itself to keep it. */
  replace: (match: string, ...groups: string[]) => string;
};

const SECRET_KEYS =
  '[\\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)';

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

/** Applied in this order; a later rule does not count what an earlier one already replaced. */
const RULES: Rule[] = [
  {
    // PEM private keys, whole blocks.
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    replace: () => REDACTED,
  },
  {
    // JSON Web Tokens: base64url header and payload (both JSON objects, so `eyJ`), signature.
    pattern: /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g,
    replace: () => REDACTED,
  },
  {
    // Authorization header credentials.
    pattern: /\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{8,}/g,
    replace: (_match, scheme, space) => `${scheme}${space}${REDACTED}`,
  },
  {
    // Passwords in URLs: scheme://user:password@host.
    pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(@)/gi,
    replace: (match, prefix, password, at) =>
      password === REDACTED ? match : `${prefix}${REDACTED}${at}`,
  },
  {
    // password=..., "api_key": "...", secret: ... (quoted or bare values).
    pattern: new RegExp(
      `(["']?)\\b(${SECRET_KEYS})\\1(\\s*[=:]\\s*)("[^"]*"|'[^']*'|\\[REDACTED\\]|[^\\s,;&"'}\\]]+)`,
      'gi',
    ),
    replace: (match, quote, key, separator, value) => {
      const quoted = /^["']/.test(value) ? value[0] : '';
      const inner = quoted ? value.slice(1, -1) : value;
      // Already masked, empty, or a mined template's variable: nothing to hide.
      if (inner === REDACTED || inner === '' || inner === '<*>') return match;
      return `${quote}${key}${quote}${separator}${quoted}${REDACTED}${quoted}`;
    },
  },
  {
    // AWS access key ids.
    pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g,
    replace: () => REDACTED,
  },
  {
    // Well-known token formats: GitHub, Slack, OpenAI-style, Google API keys.
    pattern:
      /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35})\b/g,
    replace: () => REDACTED,
  },
  {
    // E-mail addresses.
    pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g,
    replace: () => REDACTED,
  },
  {
    // Card-like numbers: 13 to 19 digits starting 2-6 (the card networks' ranges, which keeps
    // epoch timestamps out), optionally grouped by spaces or dashes, Luhn-valid.
    pattern: /(?<![\d-])[2-6](?:[ -]?\d){12,18}(?![\d-])/g,
    replace: match =>
      luhnValid(match.replace(/[ -]/g, '')) ? REDACTED : match,
  },
];

/**
 * Masks secrets and personal data in free text (log samples, span status messages) before they
 * go into a context document: private keys, JWTs, bearer/basic credentials, passwords in URLs,
 * `password=` / `secret=` / `token=` / `api_key=` values (also as JSON), AWS access key ids,
 * common API token formats, e-mail addresses and card-like numbers. Returns the masked text and
 * how many values were masked.
 */
export function redact(text: string): { text: string; count: number } {
  let count = 0;
  let result = text;
  for (const rule of RULES) {
    const applied = applyRule(result, rule);
    result = applied.text;
    count += applied.count;
  }
  return { text: result, count };
}

function applyRule(text: string, rule: Rule): { text: string; count: number } {
  let count = 0;
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
