import { redact } from '@rampart/core';
import { detectCommandInjection } from './command';
import { detectCrlfInjection } from './crlf';
import { normalize, percentDecode } from './normalize';
import { detectNoSqlInjection } from './nosql';
import { detectPathTraversal } from './path-traversal';
import { detectPrototypePollution } from './prototype';
import { detectSqlInjection } from './sql';
import { detectSsrf } from './ssrf';
import { detectTemplateInjection } from './template';
import type { DetectContext, Detector, FindingSeverity, ThreatCategory } from './types';
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
  /** Headers inspected (lower-case). @default user-agent, referer, cookie, x-forwarded-for, x-forwarded-host, x-original-url, x-rewrite-url */
  headers?: readonly string[];
  /** Score at which `threat` is true. @default 70 */
  threshold?: number;
  /** Score of a finding of each severity. @default critical 70, high 50, medium 30, low 10 */
  scores?: Partial<Readonly<Record<FindingSeverity, number>>>;
  /** Deepest nesting of the body that is walked. @default 32 */
  maxDepth?: number;
  /** Most strings (keys and values) inspected in one request. @default 10000 */
  maxStrings?: number;
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
  /** True when the body was deeper or larger than the walk bounds: the rest was not inspected. */
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

const ALL: readonly [ThreatCategory, Detector][] = [
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
const IN_HEADERS = ALL.filter(([c]) => c !== 'ssrf' && c !== 'nosql_injection' && c !== 'prototype_pollution');
const IN_PATH = ALL.filter(([c]) => c !== 'ssrf');

/** Strings of only these characters can hold no payload but a few word-only ones (checked below). */
const PLAIN = /^[a-zA-Z0-9 _.,:@/-]*$/;
const SQL_WORDS =
  /\b(?:union|select|or|and|xor|order|group|having|waitfor|limit|drop|delete|insert|update|exec|declare|shutdown)\b/;

interface Compiled {
  paranoia: 1 | 2;
  ignore: readonly (readonly string[])[];
  headers: readonly string[];
  threshold: number;
  scores: Readonly<Record<FindingSeverity, number>>;
  maxDepth: number;
  maxStrings: number;
}

export function compileInspectOptions(options: InspectOptions = {}): Compiled {
  return {
    paranoia: options.paranoia ?? 1,
    ignore: (options.ignore ?? []).map((pattern) => pattern.split('.')),
    headers: (options.headers ?? DEFAULT_INSPECTED_HEADERS).map((h) => h.toLowerCase()),
    threshold: options.threshold ?? 70,
    scores: { ...DEFAULT_SCORES, ...options.scores },
    maxDepth: options.maxDepth ?? 32,
    maxStrings: options.maxStrings ?? 10_000,
  };
}

const SECRET_NAME = '__rampart_sample__';

function sampleOf(raw: string, name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters would forge log lines
  const cut = (raw.length > 64 ? `${raw.slice(0, 64)}…` : raw).replace(/[\x00-\x1f\x7f]/g, '?');
  const redacted = redact({ [name || SECRET_NAME]: cut }) as Record<string, unknown>;
  return String(redacted[name || SECRET_NAME]);
}

class Inspection {
  readonly findings: Finding[] = [];
  truncated = false;
  private strings = 0;

  constructor(private readonly options: Compiled) {}

  private ignored(segments: readonly string[]): boolean {
    return this.options.ignore.some(
      (pattern) => pattern.length <= segments.length && pattern.every((p, i) => p === '*' || p === segments[i]),
    );
  }

  /** Inspects one string; `segments` locate it (`['body', 'user', 'name']`). */
  check(
    raw: string,
    segments: readonly string[],
    context: DetectContext,
    detectors: readonly [ThreatCategory, Detector][] = ALL,
  ): void {
    if (raw.length === 0) return;
    if (++this.strings > this.options.maxStrings) {
      this.truncated = true;
      return;
    }
    if (this.options.ignore.length > 0 && this.ignored(segments)) return;
    let text: string;
    let active = detectors;
    if (PLAIN.test(raw) && !raw.includes('..')) {
      text = raw.toLowerCase();
      active = detectors.filter(
        ([category]) =>
          (category === 'sqli' && text.includes(' ') && SQL_WORDS.test(text)) ||
          (category === 'path_traversal' && text.includes('/')) ||
          (category === 'ssrf' && (text.includes(':') || context.name !== '')) ||
          (category === 'prototype_pollution' && text.includes('proto')),
      );
      if (active.length === 0) return;
    } else {
      text = normalize(raw);
    }
    for (const [category, detect] of active) {
      const match = detect(text, context);
      if (!match || (match.paranoia ?? 1) > this.options.paranoia) continue;
      const location = segments.join('.') + (context.isKey ? ':key' : '');
      this.findings.push({
        category,
        location,
        rule: match.rule,
        severity: match.severity,
        score: this.options.scores[match.severity],
        sample: sampleOf(raw, context.isKey ? '' : context.name),
      });
    }
  }

  walk(value: unknown, segments: string[], source: 'body' | 'query', depth: number, parentKey: string): void {
    if (typeof value === 'string') {
      this.check(value, segments, { source, isKey: false, name: (segments.at(-1) ?? '').toLowerCase() });
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (depth >= this.options.maxDepth) {
      this.truncated = true;
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++)
        this.walk(value[i], [...segments, String(i)], source, depth + 1, parentKey);
      return;
    }
    if (Buffer.isBuffer(value)) return;
    for (const key of Object.keys(value)) {
      const child = [...segments, key];
      this.check(key, child, { source, isKey: true, name: '' });
      if (key === 'prototype' && parentKey === 'constructor' && !this.ignored(child)) {
        this.findings.push({
          category: 'prototype_pollution',
          location: `${child.join('.')}:key`,
          rule: 'prototype_pollution.key',
          severity: 'critical',
          score: this.options.scores.critical,
          sample: 'constructor.prototype',
        });
      }
      this.walk((value as Record<string, unknown>)[key], child, source, depth + 1, key);
    }
  }
}

function decodeQueryPart(part: string): string {
  return percentDecode(part.replaceAll('+', ' '));
}

function inspectQueryString(inspection: Inspection, query: string): void {
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeQueryPart(pair.slice(eq + 1));
    inspection.check(key, ['query', key], { source: 'query', isKey: true, name: '' });
    inspection.check(value, ['query', key], { source: 'query', isKey: false, name: key.toLowerCase() });
  }
}

function inspectCookies(inspection: Inspection, header: string): void {
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    const name = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
    inspection.check(
      value,
      ['cookies', name],
      { source: 'cookie', isKey: false, name: name.toLowerCase() },
      IN_HEADERS,
    );
  }
}

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
    inspection.check(path, ['path'], { source: 'path', isKey: false, name: '' }, [
      ['path_traversal', detectPathTraversal],
    ]);
    for (const segment of path.split('/')) {
      inspection.check(
        segment,
        ['path'],
        { source: 'path', isKey: false, name: '' },
        IN_PATH.filter(([c]) => c !== 'path_traversal'),
      );
    }
  }
  if (typeof query === 'string') inspectQueryString(inspection, query);
  else if (query) inspection.walk(query, ['query'], 'query', 0, '');
  const headers = request.headers ?? {};
  for (const name of options.headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : value.join(', ');
    if (name === 'cookie') inspectCookies(inspection, text);
    else inspection.check(text, ['headers', name], { source: 'header', isKey: false, name }, IN_HEADERS);
  }
  if (typeof request.body === 'string') {
    inspection.check(request.body, ['body'], { source: 'body', isKey: false, name: '' });
  } else if (request.body !== undefined) {
    inspection.walk(request.body, ['body'], 'body', 0, '');
  }
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
