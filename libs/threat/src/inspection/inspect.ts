import { redact } from '@rampart/core';
import { detectCommandInjection } from './command';
import { detectCrlfInjection } from './crlf';
import { normalize, percentDecode } from './normalize';
import { detectNoSqlInjection } from './nosql';
import { detectPathTraversal } from './path-traversal';
import { detectPrototypePollution } from './prototype';
import { detectSqlInjection, isSqlSignalWord } from './sql';
import { detectSsrf, isNavigationKey, isUrlKey } from './ssrf';
import { detectTemplateInjection } from './template';
import type { DetectContext, Detector, FindingSeverity, RuleMatch, ThreatCategory } from './types';
import { detectXss } from './xss';

/** A request as the inspection engine reads it; every field is optional. @publicApi */
export interface InspectableRequest {
  method?: string;
  /** The URL path; anything after `?` is read as the query string. */
  path?: string;
  /** The raw query string (`a=1&b=2`) or a parsed query object. */
  query?: string | Readonly<Record<string, unknown>>;
  headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** A parsed JSON or form body, or a text body. */
  body?: unknown;
}

/** Options of {@link inspectRequest}. @publicApi */
export interface InspectOptions {
  /** CRS-style paranoia level: 2 adds rules with more false positives. @default 1 */
  paranoia?: 1 | 2;
  /** Locations not inspected, e.g. `body.codeSnippet`, `query.q`, `body.items.*.html`. @default [] */
  ignore?: readonly string[];
  /**
   * Categories not reported at a location, e.g. `{ 'body.bio': ['xss'] }` for a rich-text field
   * that the validation lib sanitises (its other categories are still inspected). @default {}
   */
  exempt?: Readonly<Record<string, readonly ThreatCategory[]>>;
  /** Headers inspected (lower-case). @default user-agent, referer, cookie, x-forwarded-for, x-forwarded-host, x-original-url, x-rewrite-url */
  headers?: readonly string[];
  /**
   * Also inspect every other `x-…` header: custom headers often carry client input (a tenant, a
   * locale, a callback URL) that the application reads. @default true
   */
  customHeaders?: boolean;
  /** Score at which `threat` is true. @default 70 */
  threshold?: number;
  /** Score of a finding of each severity. @default critical 70, high 50, medium 30, low 10 */
  scores?: Partial<Readonly<Record<FindingSeverity, number>>>;
  /** Deepest nesting of the body that is walked. @default 32 */
  maxDepth?: number;
  /** Most strings (keys and values) inspected in one request. @default 10000 */
  maxStrings?: number;
  /**
   * Severity of the `inspection_limit` finding reported when a request exceeds `maxStrings` or
   * `maxDepth`: what lies past the bounds is not inspected, so a payload hidden behind 10 000
   * filler strings or 33 levels deep would otherwise pass unseen. `'ignore'` reports nothing
   * (`truncated` is still set). @default 'critical' (one finding reaches the default threshold)
   */
  beyondLimits?: FindingSeverity | 'ignore';
}

/** One thing the engine found. @publicApi */
export interface Finding {
  category: ThreatCategory;
  /** Where: `path`, `query.<name>`, `body.<dotted.path>`, `headers.<name>`, `cookies.<name>`; `:key` for a key. */
  location: string;
  /** Stable rule id, e.g. `sqli.union`. */
  rule: string;
  severity: FindingSeverity;
  score: number;
  /** The start of the offending input, at most 64 characters, redacted under secret-looking names. */
  sample: string;
}

/** @publicApi */
export interface InspectionResult {
  /** Sum over categories of the highest finding score in each. */
  score: number;
  /** `score >= threshold`. */
  threat: boolean;
  findings: Finding[];
  /**
   * True when the request had more strings than `maxStrings` or nesting deeper than `maxDepth`:
   * the rest was not inspected (and an `inspection_limit` finding is reported unless
   * `beyondLimits` is `'ignore'`).
   */
  truncated: boolean;
}

export const DEFAULT_INSPECTED_HEADERS: readonly string[] = [
  'user-agent',
  'referer',
  'cookie',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-original-url',
  'x-rewrite-url',
];
export const DEFAULT_SCORES: Readonly<Record<FindingSeverity, number>> = {
  critical: 70,
  high: 50,
  medium: 30,
  low: 10,
};

export const DETECTORS: readonly [ThreatCategory, Detector][] = [
  ['sqli', detectSqlInjection],
  ['xss', detectXss],
  ['path_traversal', detectPathTraversal],
  ['command_injection', detectCommandInjection],
  ['template_injection', detectTemplateInjection],
  ['nosql_injection', detectNoSqlInjection],
  ['ssrf', detectSsrf],
  ['crlf_injection', detectCrlfInjection],
  ['prototype_pollution', detectPrototypePollution],
];
// Which detectors run where, as bit masks (bit i = DETECTORS[i]): no allocation per string.
const bit = (category: ThreatCategory): number => 1 << DETECTORS.findIndex(([c]) => c === category);
export const ALL = (1 << DETECTORS.length) - 1;
const SQLI = bit('sqli');
const XSS = bit('xss');
const TRAVERSAL = bit('path_traversal');
const COMMAND = bit('command_injection');
const TEMPLATE = bit('template_injection');
const NOSQL = bit('nosql_injection');
const SSRF = bit('ssrf');
const CRLF = bit('crlf_injection');
const PROTOTYPE = bit('prototype_pollution');
const IN_PATH_SEGMENTS = ALL & ~SSRF & ~TRAVERSAL;

/** Character classes of plainShape(), by ASCII code; anything absent (0) is not plain. */
const WORD = 1;
const PUNCTUATION = 2;
const DOT = 3;
const SPACE = 4;
const SLASH = 5;
const COLON = 6;
const AT = 7;
const LETTER_P = 8;
const PLAIN_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) if (/\w/.test(String.fromCharCode(c))) PLAIN_CLASS[c] = WORD;
PLAIN_CLASS[80] = PLAIN_CLASS[112] = LETTER_P; // P p
PLAIN_CLASS[44] = PUNCTUATION; // ,
PLAIN_CLASS[45] = PUNCTUATION; // -
PLAIN_CLASS[46] = DOT;
PLAIN_CLASS[32] = SPACE;
PLAIN_CLASS[47] = SLASH;
PLAIN_CLASS[58] = COLON;
PLAIN_CLASS[64] = AT;

// Bound once: an imported function is called through its module object (a getter under some loaders), once per word here.
const signalWord = isSqlSignalWord;

/**
 * One pass over a string: -1 when it has a character outside [A-Za-z0-9 _.,:@/-] or a `..`
 * (the general path); otherwise the detectors a plain string still needs, each from what its
 * rules cannot match without:
 * - SQL: its detector's own signal (a signal word as a whole `\w` run, or `@@`), checked per run;
 * - traversal: a slash; SSRF: a colon or a leading `//` (or a URL name, see matchesOf());
 * - XSS: a colon (`javascript:…`, `data:text/html…` at the start);
 * - command: the reverse-shell forms, which need `/dev/` or a space before `-` or `/`;
 * - prototype pollution: `proto`, in any case (the detectors read lower-cased text).
 * The other detectors need a character no plain string has. One table load per character.
 */
function plainShape(s: string): number {
  let active = 0;
  let previousDot = false;
  let word = 0; // where the current `\w` run started
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const type = c < 128 ? PLAIN_CLASS[c] : 0;
    if (type === WORD) {
      previousDot = false;
      continue;
    }
    if (type === LETTER_P) {
      if (isFolded(s, i + 1, 'roto')) active |= PROTOTYPE;
      previousDot = false;
      continue;
    }
    if (i > word && signalWord(s, word, i)) active |= SQLI;
    word = i + 1;
    switch (type) {
      case PUNCTUATION:
        break;
      case DOT:
        if (previousDot) return -1;
        previousDot = true;
        continue;
      case SPACE: {
        const next = s.charCodeAt(i + 1);
        if (next === 45 || next === 47) active |= COMMAND;
        break;
      }
      case SLASH:
        active |= i === 1 && s.charCodeAt(0) === 47 ? TRAVERSAL | SSRF : TRAVERSAL;
        if (s.startsWith('dev/', i + 1)) active |= COMMAND;
        break;
      case COLON:
        active |= SSRF | XSS;
        break;
      case AT:
        if (s.charCodeAt(i + 1) === 64) active |= SQLI;
        break;
      default:
        return -1;
    }
    previousDot = false;
  }
  return s.length > word && signalWord(s, word, s.length) ? active | SQLI : active;
}

/** Whether `s` holds the lower-case ASCII `word` at `at`, in any case. */
function isFolded(s: string, at: number, word: string): boolean {
  if (at + word.length > s.length) return false;
  for (let i = 0; i < word.length; i++) if ((s.charCodeAt(at + i) | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}

/** A detector's context with what the engine derives from the name once, not per string. */
export interface Context extends DetectContext {
  /** Whether the name is one whose value servers fetch (isUrlKey): SSRF reads bare hosts under it. */
  readonly urlKey: boolean;
  /**
   * Everything about the context a detector's verdict depends on, as the low bits of the verdict
   * memo's key: source, key-ness, URL name, browser-destination name (SSRF allows loopback under
   * `redirect_uri`, not under `webhook_url`: sharing their verdicts would let one pass for the other).
   */
  readonly memoBits: number;
}

const SOURCES = ['path', 'query', 'header', 'cookie', 'body'] as const;
export type Source = (typeof SOURCES)[number];
export function context(source: Source, isKey: boolean, name: string): Context {
  const urlKey = name !== '' && isUrlKey(name);
  const navigation = name !== '' && isNavigationKey(name);
  const memoBits = (SOURCES.indexOf(source) << 3) | (navigation ? 4 : 0) | (isKey ? 2 : 0) | (urlKey ? 1 : 0);
  return { source, isKey, name, urlKey, memoBits };
}
const KEY_CONTEXTS = Object.fromEntries(SOURCES.map((source) => [source, context(source, true, '')])) as Readonly<
  Record<Source, Context>
>;
const VALUE_CONTEXTS = Object.fromEntries(SOURCES.map((source) => [source, new Map<string, Context>()])) as Readonly<
  Record<Source, Map<string, Context>>
>;
const MAX_VALUE_CONTEXTS = 1024;

/**
 * The context of a value found under `key`, memoised per source: the same few names recur in
 * every request, so the lower-casing, the URL-name test and the object are paid once per name.
 * Bounded (names come from clients): cleared when full.
 */
function valueContext(source: Source, key: string): Context {
  const contexts = VALUE_CONTEXTS[source];
  let known = contexts.get(key);
  if (known === undefined) {
    known = context(source, false, key.toLowerCase());
    if (contexts.size >= MAX_VALUE_CONTEXTS) contexts.clear();
    contexts.set(key, known);
  }
  return known;
}

/**
 * The detectors a normalised string can trigger, from one pass over its characters: each
 * detector needs at least one of the characters listed here before any of its rules can match
 * (XSS a `<`, `:`, `=` or quote; CRLF a line break; …), so the others are not called at all.
 */
function needed(text: string, context: Context): number {
  let mask = SQLI | PROTOTYPE;
  for (let i = 0; i < text.length; i++) {
    switch (text.charCodeAt(i)) {
      case 60: // <
        mask |= XSS | TEMPLATE;
        break;
      case 34: // "
      case 39: // '
      case 96: // `
        mask |= XSS | NOSQL | COMMAND;
        break;
      case 61: // =
        mask |= XSS;
        break;
      case 58: // :
        mask |= XSS | SSRF | TRAVERSAL;
        break;
      case 46: // .
        mask |= TRAVERSAL | NOSQL;
        break;
      case 47: // /
      case 92: // backslash
        mask |= TRAVERSAL | COMMAND | SSRF;
        break;
      case 59: // ;
        mask |= COMMAND | NOSQL;
        break;
      case 124: // |
      case 38: // &
      case 40: // (
      case 45: // -
        mask |= COMMAND | NOSQL;
        break;
      case 36: // $
        // `${` opens a template literal placeholder too (XSS); a price's `$` does not.
        mask |= COMMAND | TEMPLATE | NOSQL | (text.charCodeAt(i + 1) === 123 ? XSS : 0);
        break;
      case 123: // {
      case 37: // %
      case 35: // #
      case 64: // @ (Razor)
        mask |= TEMPLATE;
        break;
      case 10:
      case 13:
        mask |= COMMAND | CRLF;
        break;
      default:
        // Non-ASCII slash look-alikes (∕ ∖ ⁄ ⧸ ⧹) survive NFKC: traversal must see them; so do
        // the Unicode line breaks (NEL, LINE and PARAGRAPH SEPARATOR) loggers honour.
        if (text.charCodeAt(i) > 127) mask |= TRAVERSAL | (isUnicodeBreak(text.charCodeAt(i)) ? CRLF : 0);
    }
  }
  if (context.urlKey) mask |= SSRF;
  return mask;
}

function isUnicodeBreak(c: number): boolean {
  return c === 0x85 || c === 0x2028 || c === 0x2029;
}

interface Compiled {
  paranoia: 1 | 2;
  ignore: readonly (readonly string[])[];
  exempt: readonly (readonly [readonly string[], ReadonlySet<ThreatCategory>])[];
  headers: readonly string[];
  customHeaders: boolean;
  threshold: number;
  scores: Readonly<Record<FindingSeverity, number>>;
  maxDepth: number;
  maxStrings: number;
  beyondLimits: FindingSeverity | 'ignore';
  /** What whole header values (by header name), raw query strings (`?`) and pairs (`&`) gave; see memoised(). */
  headerMemo: Map<string, Map<string, Memoised>>;
}

export function compileInspectOptions(options: InspectOptions = {}): Compiled {
  return {
    paranoia: options.paranoia ?? 1,
    ignore: (options.ignore ?? []).map((pattern) => pattern.split('.')),
    exempt: Object.entries(options.exempt ?? {}).map(([pattern, categories]) => [
      pattern.split('.'),
      new Set(categories),
    ]),
    headers: (options.headers ?? DEFAULT_INSPECTED_HEADERS).map((h) => h.toLowerCase()),
    customHeaders: options.customHeaders ?? true,
    threshold: options.threshold ?? 70,
    scores: { ...DEFAULT_SCORES, ...options.scores },
    maxDepth: options.maxDepth ?? 32,
    maxStrings: options.maxStrings ?? 10_000,
    beyondLimits: options.beyondLimits ?? 'critical',
    headerMemo: new Map(),
  };
}

/** Shorter base64 strings are ids and hashes more often than encoded payloads. */
const MIN_BASE64 = 16;
/** Longer ones are files, not parameters; decoding them would only cost time. */
const MAX_BASE64 = 16_384;

/** The 6-bit value of a base64 or base64url character, or -1. */
function base64Value(c: number): number {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c === 43 || c === 45) return 62; // + -
  if (c === 47 || c === 95) return 63; // / _
  return -1;
}

function isTextByte(b: number): boolean {
  return (b >= 32 && b < 127) || b === 9 || b === 10 || b === 13;
}

/**
 * The byte at `index` of the base64 text `raw[0, end)` (4 characters carry 3 bytes), or -1 past
 * the end. Read in place: most candidates (words, ids, hashes) fail on their first bytes, so
 * nothing is allocated for them.
 */
function base64Byte(raw: string, end: number, index: number): number {
  const group = (index / 3) | 0;
  const at = group * 4;
  const offset = index - group * 3;
  if (at + offset + 1 >= end) return -1;
  const first = base64Value(raw.charCodeAt(at + offset));
  const second = base64Value(raw.charCodeAt(at + offset + 1));
  return ((first << (2 + offset * 2)) | (second >> (4 - offset * 2))) & 0xff;
}

/**
 * The text a base64 (or base64url) value decodes to, when it decodes to printable ASCII: payloads
 * are base64-encoded to slip past filters and decoded by the application (`atob`, `Buffer.from`).
 * Ids, hashes and random tokens decode to binary and are left alone. One level, bounded length.
 */
function base64Text(raw: string): string | undefined {
  let end = raw.length;
  if (end > MAX_BASE64) return undefined;
  while (end > 0 && raw.charCodeAt(end - 1) === 61) end--; // '=' padding
  if (raw.length - end > 2 || end % 4 === 1) return undefined;
  for (let i = 0; i < end; i++) if (base64Value(raw.charCodeAt(i)) < 0) return undefined;
  let text = '';
  for (let index = 0, b = base64Byte(raw, end, 0); b >= 0; b = base64Byte(raw, end, ++index)) {
    if (!isTextByte(b)) return undefined;
    text += String.fromCharCode(b);
  }
  return text;
}

const SAMPLE_KEY = '__rampart_sample__';

function sampleOf(raw: string, name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters would forge log lines
  const cut = (raw.length > 64 ? `${raw.slice(0, 64)}…` : raw).replace(/[\x00-\x1f\x7f]/g, '?');
  const redacted = redact({ [name || SAMPLE_KEY]: cut }) as Record<string, unknown>;
  return String(redacted[name || SAMPLE_KEY]);
}

export type Match = readonly [ThreatCategory, RuleMatch];
const NO_MATCHES: readonly Match[] = Object.freeze([]);

function detectWith(text: string, context: Context, mask: number): readonly Match[] {
  let matches: Match[] | undefined;
  for (let i = 0; i < DETECTORS.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    const [category, detect] = DETECTORS[i] as (typeof DETECTORS)[number];
    const match = detect(text, context);
    if (match) (matches ??= []).push([category, match]);
  }
  return matches ?? NO_MATCHES;
}

/**
 * Verdicts of short strings, memoised: detection is a pure function of the string and where it
 * was found, and real traffic repeats most of its strings (user agents, cookies, enum values,
 * keys). Bounded: cleared when full, so a client sending fresh strings only costs the cache.
 */
const MEMO_MAX_LENGTH = 256;
/** Width of Context.memoBits. */
const MEMO_BITS = 6;
const MEMO_SIZE = 4096;
const memo = new Map<number, Map<string, readonly Match[]>>();
let memoSize = 0;

/** The detectors in `mask` on `raw`: a plain string (see matchesOf) only needs lower-casing. */
function detectAll(raw: string, context: Context, mask: number, plain: boolean): readonly Match[] {
  if (plain) return detectWith(raw.toLowerCase(), context, mask);
  const text = normalize(raw);
  return detectWith(text, context, mask & needed(text, context));
}

/**
 * The detectors' matches for `raw` in `context`, memoised for short strings. A plain string's
 * `mask` already holds only the detectors it can trigger; other strings are normalised and
 * prefiltered by needed(). A string is plain or not by its characters alone, so the two kinds
 * never share a memo entry and the verdicts are exact.
 */
function verdict(raw: string, context: Context, mask: number, plain: boolean): readonly Match[] {
  if (raw.length > MEMO_MAX_LENGTH) return detectAll(raw, context, mask, plain);
  // Keyed by a small number for the context, then the string: no key string built per lookup.
  const contextId = (mask << MEMO_BITS) | context.memoBits;
  let byString = memo.get(contextId);
  if (byString === undefined) memo.set(contextId, (byString = new Map<string, readonly Match[]>()));
  let matches = byString.get(raw);
  if (matches === undefined) {
    matches = detectAll(raw, context, mask, plain);
    if (++memoSize > MEMO_SIZE) {
      memo.clear();
      memoSize = 1;
      memo.set(contextId, byString);
      byString.clear();
    }
    byString.set(raw, matches);
  }
  return matches;
}

/**
 * What the detectors in `mask` find in `raw`, prefiltered: a plain string (plainShape) skips
 * normalisation and every detector it cannot trigger, any other string is normalised and skips
 * the detectors needed() rules out. The prefilters only ever skip a detector that cannot match;
 * redos-generative.spec.ts checks that against running every detector, on the corpus and on the
 * generated inputs.
 */
export function matchesOf(raw: string, context: Context, mask: number): readonly Match[] {
  const plain = plainShape(raw);
  if (plain < 0) return verdict(raw, context, mask, false);
  // No quote, bracket, operator or escape, so only word-only payloads are possible.
  let active = plain;
  if (context.urlKey) active |= SSRF;
  active &= mask;
  if (active === 0) return NO_MATCHES;
  // Plain text has nothing to decode: normalising it is lower-casing.
  return verdict(raw, context, active, true);
}

class Inspection {
  readonly findings: Finding[] = [];
  truncated = false;
  /** The first bound exceeded and where, for the `inspection_limit` finding. */
  private limit: { rule: string; location: string } | undefined;
  private strings = 0;

  /** Strings inspected so far (maxStrings counts them). */
  get counted(): number {
    return this.strings;
  }

  /** Adds what a memoised header value or query pair gave, as if it had been inspected again. */
  replay(known: Memoised): void {
    for (let i = 0; i < known.findings.length; i++) this.findings.push(known.findings[i] as Finding);
    this.strings += known.strings;
    if (this.strings > this.options.maxStrings) this.exceeded('inspection_limit.max_strings');
  }
  /** Location of the string being inspected, e.g. ['body', 'items', '0', 'name']; a stack, not copied. */
  readonly path: string[] = [];

  constructor(private readonly options: Compiled) {}

  ignored(): boolean {
    return this.options.ignore.some((pattern) => this.under(pattern));
  }

  /** Whether the current location is `pattern` or lies under it (`*` matches one segment). */
  private under(pattern: readonly string[]): boolean {
    const path = this.path;
    return pattern.length <= path.length && pattern.every((p, i) => p === '*' || p === path[i]);
  }

  private exempted(category: ThreatCategory): boolean {
    return this.options.exempt.some(([pattern, categories]) => categories.has(category) && this.under(pattern));
  }

  /** Inspects one string at the current path with the detectors in `mask`, and its base64 decoding if it has one. */
  check(raw: string, context: Context, mask: number = ALL): void {
    this.checkString(raw, context, mask);
    if (raw.length < MIN_BASE64) return;
    const decoded = base64Text(raw);
    if (decoded !== undefined) this.checkString(decoded, context, mask);
  }

  private checkString(raw: string, context: Context, mask: number): void {
    if (raw.length === 0) return;
    if (++this.strings > this.options.maxStrings) {
      this.exceeded('inspection_limit.max_strings');
      return;
    }
    if (this.options.ignore.length > 0 && this.ignored()) return;
    const matches = matchesOf(raw, context, mask);
    if (matches.length > 0) this.record(raw, context, matches);
  }

  private exceeded(rule: string): void {
    this.truncated = true;
    this.limit ??= { rule, location: this.path.join('.') };
  }

  /** Reports the bound exceeded, if any, as a finding scored by `beyondLimits`. */
  reportLimit(): void {
    const severity = this.options.beyondLimits;
    if (this.limit === undefined || severity === 'ignore') return;
    this.findings.push({
      category: 'inspection_limit',
      location: this.limit.location,
      rule: this.limit.rule,
      severity,
      score: this.options.scores[severity],
      sample: '',
    });
  }

  private record(raw: string, context: Context, matches: readonly Match[]): void {
    for (let i = 0; i < matches.length; i++) {
      const [category, match] = matches[i] as Match;
      if ((match.paranoia ?? 1) > this.options.paranoia) continue;
      if (this.options.exempt.length > 0 && this.exempted(category)) continue;
      this.findings.push({
        category,
        location: this.path.join('.') + (context.isKey ? ':key' : ''),
        rule: match.rule,
        severity: match.severity,
        score: this.options.scores[match.severity],
        sample: sampleOf(raw, context.isKey ? '' : context.name),
      });
    }
  }

  walk(value: unknown, source: 'body' | 'query', depth: number, parentKey: string): void {
    if (typeof value === 'string') {
      this.check(value, valueContext(source, parentKey));
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (depth >= this.options.maxDepth) {
      this.exceeded('inspection_limit.max_depth');
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        this.path.push(String(i));
        this.walk(value[i], source, depth + 1, parentKey);
        this.path.pop();
      }
      return;
    }
    if (Buffer.isBuffer(value)) return;
    if (isMultipartPart(value)) {
      // @fastify/multipart with attachFieldsToBody: a field's value, a file's name; never the
      // file's stream and buffers (binary content, and an object graph the walk must not enter).
      const text = value.type === 'field' ? value.value : value.filename;
      if (typeof text === 'string') this.check(text, valueContext(source, parentKey));
      return;
    }
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      this.path.push(key);
      this.check(key, KEY_CONTEXTS[source]);
      if (key === 'prototype' && parentKey === 'constructor' && !this.ignored()) {
        this.findings.push({
          category: 'prototype_pollution',
          location: `${this.path.join('.')}:key`,
          rule: 'prototype_pollution.key',
          severity: 'critical',
          score: this.options.scores.critical,
          sample: 'constructor.prototype',
        });
      }
      this.walk((value as Record<string, unknown>)[key], source, depth + 1, key);
      this.path.pop();
    }
  }
}

interface MultipartPart {
  type: 'field' | 'file';
  fieldname: string;
  value?: unknown;
  filename?: unknown;
}

function isMultipartPart(value: object): value is MultipartPart {
  const part = value as Partial<MultipartPart>;
  return typeof part.fieldname === 'string' && (part.type === 'field' || part.type === 'file');
}

function decodeQueryPart(part: string): string {
  return percentDecode(part.includes('+') ? part.replaceAll('+', ' ') : part);
}

/**
 * A raw query string (memoised whole as group `?`) pair by pair, each pair memoised too (group
 * `&`): real traffic repeats whole query strings, and where one pair changes (`cursor`, a search)
 * the others (`page=2`, `sort=-createdAt`) are still known, so it costs its own inspection only.
 */
function inspectQueryString(inspection: Inspection, options: Compiled, query: string): void {
  for (let start = 0; start < query.length;) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    if (end > start) memoised(inspection, options, '&', query.slice(start, end));
    start = end + 1;
  }
}

function inspectQueryPair(inspection: Inspection, pair: string): void {
  const eq = pair.indexOf('=');
  const key = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq));
  const value = eq < 0 ? '' : decodeQueryPart(pair.slice(eq + 1));
  inspection.path.push('query', key);
  inspection.check(key, KEY_CONTEXTS.query);
  inspection.check(value, valueContext('query', key));
  inspection.path.length -= 2;
}

function inspectCookies(inspection: Inspection, header: string): void {
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    const name = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
    inspection.path.push('cookies', name);
    inspection.check(value, valueContext('cookie', name));
    inspection.path.length -= 2;
  }
}

const HEADER_MEMO_MAX_LENGTH = 1024;
const NO_FINDINGS: readonly Finding[] = Object.freeze([]);
const HEADER_MEMO_SIZE = 1024;

/** What inspecting a header value or query pair gave: its findings, and how many strings it counted against maxStrings. */
interface Memoised {
  readonly findings: readonly Finding[];
  readonly strings: number;
}

/**
 * Findings of a whole header value (cookie included), raw query string or query pair, memoised: a
 * client sends the same user agent, referer and cookies on every request, and real traffic repeats
 * its query strings and pairs, so the common case is one map lookup instead of a split, decoding
 * and the detectors.
 * Their findings depend only on the group and the text (locations are fixed), so sharing them is
 * exact; a hit still counts its strings, so maxStrings bounds a request the same either way.
 * Bounded per group (header names are configured): cleared when full.
 */
function memoised(inspection: Inspection, options: Compiled, group: string, text: string): void {
  let byValue = options.headerMemo.get(group);
  const known = byValue?.get(text);
  if (known !== undefined) {
    inspection.replay(known);
    return;
  }
  const findings = inspection.findings.length;
  const strings = inspection.counted;
  inspectGroup(inspection, options, group, text);
  if (text.length > HEADER_MEMO_MAX_LENGTH || inspection.truncated) return;
  if (byValue === undefined) options.headerMemo.set(group, (byValue = new Map<string, Memoised>()));
  if (byValue.size >= HEADER_MEMO_SIZE) byValue.clear();
  const found = inspection.findings.length - findings;
  byValue.set(text, {
    findings:
      found === 0 ? NO_FINDINGS : Object.freeze(inspection.findings.slice(findings).map((f) => Object.freeze(f))),
    strings: inspection.counted - strings,
  });
}

/** What memoised() runs on a miss: a raw query string (group `?`) or pair (`&`), the cookie header, or another header. */
function inspectGroup(inspection: Inspection, options: Compiled, group: string, text: string): void {
  if (group === '?') inspectQueryString(inspection, options, text);
  else if (group === '&') inspectQueryPair(inspection, text);
  else if (group === 'cookie') inspectCookies(inspection, text);
  else {
    inspection.path.push('headers', group);
    inspection.check(text, valueContext('header', group));
    inspection.path.length -= 2;
  }
}

/** Most custom headers read per request: names are chosen by the client. */
const MAX_CUSTOM_HEADERS = 32;

/**
 * Every `x-…` header not already listed. Not memoised: the names come from the client, and the
 * memo is keyed by header name.
 */
function inspectCustomHeaders(
  inspection: Inspection,
  options: Compiled,
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
): void {
  let seen = 0;
  for (const name in headers) {
    if (!name.startsWith('x-') || options.headers.includes(name)) continue;
    if (++seen > MAX_CUSTOM_HEADERS) break;
    const value = headers[name];
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : value.join(', ');
    inspection.path.push('headers', name);
    inspection.check(text, valueContext('header', name));
    inspection.path.length -= 2;
  }
}

const PATH_CONTEXT = valueContext('path', '');

/** Runs the engine with options compiled once (what the guard does on every request). */
export function inspectCompiled(request: InspectableRequest, options: Compiled): InspectionResult {
  const inspection = new Inspection(options);
  let path = request.path ?? '';
  let query = request.query;
  const mark = path.indexOf('?');
  if (mark >= 0) {
    query ??= path.slice(mark + 1);
    path = path.slice(0, mark);
  }
  if (path !== '' && path !== '/') {
    inspection.path.push('path');
    inspection.check(path, PATH_CONTEXT, TRAVERSAL);
    for (const segment of path.split('/')) inspection.check(segment, PATH_CONTEXT, IN_PATH_SEGMENTS);
    inspection.path.pop();
  }
  if (typeof query === 'string') {
    // '?' and '&' cannot be header names: the raw query string's and its pairs' groups in the memo.
    memoised(inspection, options, '?', query);
  } else if (query) {
    inspection.path.push('query');
    inspection.walk(query, 'query', 0, '');
    inspection.path.pop();
  }
  const headers = request.headers ?? {};
  for (const name of options.headers) {
    const value = headers[name];
    if (value === undefined) continue;
    memoised(inspection, options, name, typeof value === 'string' ? value : value.join(', '));
  }
  if (options.customHeaders) inspectCustomHeaders(inspection, options, headers);
  if (typeof request.body === 'string') {
    inspection.path.push('body');
    inspection.check(request.body, valueContext('body', ''));
    inspection.path.pop();
  } else if (request.body !== undefined) {
    inspection.path.push('body');
    inspection.walk(request.body, 'body', 0, '');
    inspection.path.pop();
  }
  inspection.reportLimit();
  if (inspection.findings.length === 0)
    return { score: 0, threat: false, findings: [], truncated: inspection.truncated };
  const best = new Map<ThreatCategory, number>();
  for (const finding of inspection.findings) {
    best.set(finding.category, Math.max(best.get(finding.category) ?? 0, finding.score));
  }
  let score = 0;
  for (const value of best.values()) score += value;
  return { score, threat: score >= options.threshold, findings: inspection.findings, truncated: inspection.truncated };
}

const DEFAULTS = compileInspectOptions();

/**
 * Inspects a request for injection attacks: pure, synchronous, no Nest needed. Every string of
 * the path, query (keys and values), selected headers, cookies and body (keys and values, walked
 * to a bounded depth) is decoded and normalised, then read by structural detectors for SQL
 * injection, XSS, path traversal, OS command injection, template injection, NoSQL operator
 * injection, SSRF targets, CRLF injection and prototype pollution.
 *
 * @publicApi
 * @example
 * const result = inspectRequest({ method: 'GET', path: '/search', query: 'q=1%27%20or%201%3D1--' });
 * // → { score: 70, threat: true, findings: [{ category: 'sqli', location: 'query.q', rule: 'sqli.boolean_comment', … }] }
 */
export function inspectRequest(request: InspectableRequest, options?: InspectOptions): InspectionResult {
  return inspectCompiled(request, options ? compileInspectOptions(options) : DEFAULTS);
}
