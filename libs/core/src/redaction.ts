/**
 * The one redactor of Rampart: security events, audit sinks and logs pass through it. Secrets are
 * found by the name of the field that holds them, at any depth, and by their shape in any string
 * (a JWT in a free-text field, an API key pasted into an error message); e-mail addresses are
 * partially masked (personal data: GDPR art. 5(1)(c), data minimisation).
 */

/** Options of {@link createRedactor}. @publicApi */
export interface RedactionOptions {
  /**
   * Field names whose values are always hidden, compared without case, `-` or `_`
   * (`client_secret`, `Client-Secret` and `clientSecret` are one name). Added to the defaults.
   * @default []
   */
  keys?: readonly string[];
  /** Fields that contain one of these words are hidden too (`password` hides `newPassword`). Added to the defaults. */
  keyWords?: readonly string[];
  /** More shapes of secret values, hidden wherever they appear. Each must be linear-time and global (`/…/g`). */
  patterns?: readonly RegExp[];
  /** Mask e-mail addresses to their first character and domain. @default true */
  maskEmails?: boolean;
  /** Longer strings are cut (after secrets are hidden). @default 256 */
  maxString?: number;
  /** Longer arrays and objects are cut. @default 20 */
  maxItems?: number;
  /** Deeper values are replaced by `[…]`, so nothing past the limit is ever written. @default 6 */
  maxDepth?: number;
}

/** Turns a value into a copy safe to write anywhere. @publicApi */
export type Redactor = (value: unknown) => unknown;

export const REDACTED = '[REDACTED]';

/** Exact field names (normalised: lower case, no `-`/`_`) that always hold a secret. */
const SECRET_KEYS = ['code', 'xapikey', 'apikey', 'cookie', 'setcookie', 'authorization', 'proxyauthorization'];
/** Words that make a field name secret wherever they appear in it. */
const SECRET_WORDS = [
  'password',
  'passphrase',
  'passwd',
  'secret',
  'token',
  'authorization',
  'cookie',
  'apikey',
  'credential',
  'codeverifier',
  'signature',
  'session',
  'privatekey',
  'otp',
];

// Linear-time shapes: fixed-alphabet runs with no nested quantifiers (no ReDoS on log input).
/** A JWS/JWE compact serialisation: its header always starts with `{"` (base64url `eyJ`). */
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g;
/** A Rampart API key, `<prefix>_<16 hex id>_<43 base64url secret>`, whatever its prefix. */
const API_KEY = /\b[A-Za-z][A-Za-z0-9]{0,15}_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/g;
/** An HTTP credential quoted in text: `Bearer <token>`, `Basic <base64>`. */
const AUTH_SCHEME = /\b(Bearer|Basic|Digest|DPoP)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{0,63}@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8})/g;

const normalise = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

/**
 * A redactor with `options` over the defaults. Build it once (at bootstrap): the hot path only runs it.
 * @publicApi
 * @example
 * const redact = createRedactor({ keys: ['ssn'], patterns: [/\bacct-\d{8}\b/g] });
 * redact({ ssn: '078-05-1120' }); // { ssn: '[REDACTED]' }
 */
export function createRedactor(options: RedactionOptions = {}): Redactor {
  const keys = new Set([...SECRET_KEYS, ...(options.keys ?? []).map(normalise)]);
  const words = [...SECRET_WORDS, ...(options.keyWords ?? []).map(normalise)];
  const patterns = [JWT, API_KEY, AUTH_SCHEME, ...(options.patterns ?? [])];
  for (const pattern of patterns) {
    if (!pattern.global) throw new TypeError(`Redaction pattern ${String(pattern)} must have the g flag.`);
  }
  const maskEmails = options.maskEmails ?? true;
  const maxString = options.maxString ?? 256;
  const maxItems = options.maxItems ?? 20;
  const maxDepth = options.maxDepth ?? 6;
  // A secret that straddles the cut must still be recognised: scan this much, then cut.
  const scanLength = maxString + 512;
  const secretKey = new Map<string, boolean>();

  const isSecretKey = (key: string): boolean => {
    let secret = secretKey.get(key);
    if (secret === undefined) {
      const name = normalise(key);
      secret = keys.has(name) || words.some((word) => name.includes(word));
      // Field names come from the request too: remember a bounded number of them.
      if (secretKey.size < 1000) secretKey.set(key, secret);
    }
    return secret;
  };

  const redactString = (value: string): string => {
    let out = value.length > scanLength ? value.slice(0, scanLength) : value;
    for (const pattern of patterns) out = out.replace(pattern, REDACTED);
    if (maskEmails && out.includes('@')) out = out.replace(EMAIL, '$1***@$2');
    return out.length > maxString || value.length > scanLength
      ? `${out.slice(0, maxString)}…[${value.length - Math.min(maxString, out.length)} more]`
      : out;
  };

  const visit = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return redactString(value);
    if (value === null || typeof value !== 'object') return typeof value === 'function' ? '[function]' : value;
    if (depth >= maxDepth) return '[…]';
    if (value instanceof Date) return value.toISOString();
    if (Array.isArray(value)) {
      const items = value.slice(0, maxItems).map((item) => visit(item, depth + 1));
      if (value.length > maxItems) items.push(`…[${value.length - maxItems} more]`);
      return items;
    }
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      if (count++ === maxItems) {
        out['…'] = 'more fields';
        break;
      }
      const item = (value as Record<string, unknown>)[key];
      out[key] = isSecretKey(key) && item !== undefined && item !== null ? REDACTED : visit(item, depth + 1);
    }
    return out;
  };

  return (value) => visit(value, 0);
}

/**
 * A copy of `value` safe to log, with the default rules: secret fields hidden at any depth, JWTs,
 * API keys and quoted credentials hidden in any string, e-mails masked, size bounded.
 * @publicApi
 * @example
 * redact({ password: 'hunter2', note: 'Bearer eyJhbGciOi…' }); // { password: '[REDACTED]', note: '[REDACTED]' }
 */
export const redact: Redactor = createRedactor();
