import { describe, expect, it } from 'vitest';
import { detectCommandInjection } from './command';
import { detectCrlfInjection } from './crlf';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bestCostMs, costMs } from '../../../../test/utils/cpu-time';
import {
  ALL,
  context,
  DETECTORS as ENGINE_DETECTORS,
  inspectRequest,
  matchesOf,
  type InspectableRequest,
  type Match,
} from './inspect';
import { normalize, percentDecode } from './normalize';
import { detectNoSqlInjection } from './nosql';
import { detectPathTraversal } from './path-traversal';
import { detectPrototypePollution } from './prototype';
import { detectSqlInjection } from './sql';
import { detectSsrf } from './ssrf';
import { detectTemplateInjection } from './template';
import type { DetectContext, Detector } from './types';
import { detectXss } from './xss';

/**
 * Generative ReDoS test. Catastrophic backtracking needs a prefix that brings the engine into a
 * quantifier (an *opener*: `'||`, `() {`, `<a href=`), a long run of characters two adjacent
 * quantifiers can both take (a *run*), and a *tail* that makes the match fail at the end. Repeating
 * one fragment (redos.spec.ts) never builds that shape; here every opener of every rule meets a
 * long run of every character class, with each tail, in every location a request carries.
 *

/** Prefixes that enter the quantifiers of every rule (SQL, XSS, traversal, command, template, NoSQL, SSRF, CRLF, prototype, decoding). */
const OPENERS = [
  // SQL
  "'",
  "' or ",
  '1 or 1=',
  "' union select ",
  '/*',
  '/*!',
  '--',
  '@@',
  '0x',
  '1e',
  '1.',
  '(select ',
  "'; drop table ",
  "waitfor delay '",
  'sleep(',
  '"',
  '`',
  // XSS
  '<',
  '<a ',
  '<a href=',
  '<a href="',
  '<a onx=',
  '<scr<',
  '" on',
  ' onerror=',
  "';",
  '";-',
  'javascript:',
  'javascript:a',
  'data:text/html',
  '<a style="',
  '<link rel=',
  '<!--',
  // path traversal
  '../',
  '..\\',
  '%2e%2e%2f',
  '..',
  '/etc/',
  'file://',
  '%c0%af',
  '∕',
  // command injection
  '; ',
  '| ',
  '&& ',
  '$(',
  '${ifs}',
  '\n',
  '1\nls',
  '; ls',
  '; echo',
  '; nc -',
  'nc ',
  'bash -',
  '() {',
  '() { :;',
  '/dev/tcp/',
  '; net',
  'echo x >',
  "$'",
  // template injection
  '{{',
  '{{7*',
  '${',
  '#{',
  '@(',
  '<%',
  '{%',
  '#set(',
  "{{ '",
  '${{',
  // NoSQL
  '[$ne]',
  '{"$ne',
  ', $',
  "'||",
  "' || ",
  "'||'",
  'this.',
  'this.a',
  'db.a.',
  // SSRF
  'http://',
  'http://127.0.0.1',
  '//',
  'file:/',
  'jar:',
  'http://a@',
  'http://[',
  // CRLF
  '\r\n',
  '\nset-cookie',
  '\nlocation',
  // second wave (#12 recall): log lines, request lines, Unicode breaks, globs, splitting,
  // ANSI-C quoting, brace expansion, process substitution, variable commands, code calls,
  // Shellshock bodies, fork bombs, raw authorities, template literals, qs constructor keys
  '\n2024-01-01',
  '\n[info]',
  '\ninfo ',
  '\nlevel=',
  '\n{"level":',
  '\n1.2.3.4 - ',
  '\nget ',
  '\u2028',
  '\u0085set-cookie',
  ';/',
  '; /b?n/',
  '/???/',
  "; c'a",
  '; w\\h',
  '; ca$u',
  "; $'\\x",
  ';{',
  '<(',
  '&& $a',
  "'; exec(",
  '() { x',
  ':(){ :',
  'http://a\\@',
  'http://a@b@',
  '${alert',
  '";document.',
  'a[constructor]',
  '@(system.',
  '{{#with ',
  '\r\nhttp/1.1 ',
  '%0d%0a',
  'a/\n',
  // prototype pollution
  '__proto__',
  'constructor.',
  'constructor[',
  'constructor["',
  // decoding
  '&#',
  '&#x',
  '&lt',
  '%',
  '%25',
  '%u',
  '\\x',
  '\\u{',
  'eyJ',
];

/** Long runs of each character class (single characters and the two-character alternations that defeat `[a\s]*` style splits). */
const RUNS = [
  ' ',
  '\t',
  '\n',
  '\r',
  'a',
  '1',
  '.',
  '/',
  '\\',
  "'",
  '"',
  '`',
  '(',
  ')',
  '{',
  '}',
  '[',
  '<',
  '=',
  ':',
  ';',
  '|',
  '&',
  '$',
  '-',
  '+',
  '%',
  '#',
  '@',
  ',',
  '_',
  'é',
  '\u2028',
  '\u00a0',
  'a ',
  '1 ',
  '1.',
  'a.',
  '%20',
  '&#',
  'on',
  "' ",
  '-a ',
  'A/',
];

const TAILS = ['', '!', '\n'];

/** Screen threshold at 4 kB: a linear inspection takes well under 1 ms there, a quadratic one tens of ms. */
const SCREEN_MS = 2;
const SCREEN_SIZE = 4096;
/** Asserted bound for 16 kB; real figures are far lower (README, "Linear time"). */
const BUDGET_16K_MS = 50;
/** Below this, a 16 kB measurement is timer and GC noise, not growth. */
const NOISE_FLOOR_MS = 1;

function build(opener: string, run: string, tail: string, size: number): string {
  return opener + run.repeat(Math.ceil(size / run.length)).slice(0, size) + tail;
}

const enc = (s: string): string => encodeURIComponent(s).replaceAll('%20', '+');

/** Every place a request carries a string, each reaching the engine as it would from the platform. */
const LOCATIONS: Record<string, (s: string) => InspectableRequest> = {
  query: (s) => ({ method: 'GET', path: '/search', query: `q=${enc(s)}&page=1` }),
  'query key': (s) => ({ method: 'GET', path: '/search', query: `${enc(s)}=1` }),
  'JSON body': (s) => ({ method: 'POST', path: '/notes', body: { title: 'n', content: s } }),
  'JSON key': (s) => ({ method: 'POST', path: '/notes', body: { [s]: 1 } }),
  'form url field': (s) => ({ method: 'POST', path: '/hooks', body: { url: s, name: 'ci' } }),
  path: (s) => ({ method: 'GET', path: `/files/${encodeURIComponent(s)}` }),
  'user-agent': (s) => ({ method: 'GET', path: '/', headers: { 'user-agent': s } }),
  'x-forwarded-host': (s) => ({ method: 'GET', path: '/', headers: { 'x-forwarded-host': s } }),
  cookie: (s) => ({ method: 'GET', path: '/', headers: { cookie: `theme=dark; prefs=${encodeURIComponent(s)}` } }),
};

const BODY: DetectContext = { source: 'body', isKey: false, name: 'url' };
/** Each detector in the contexts that change what it runs (source, key or value, a URL-ish name). */
const DETECTORS: [string, Detector, DetectContext[]][] = [
  ['sqli', detectSqlInjection, [BODY]],
  ['xss', detectXss, [BODY]],
  ['path traversal', detectPathTraversal, [BODY]],
  ['command injection', detectCommandInjection, [BODY]],
  ['template injection', detectTemplateInjection, [BODY]],
  ['nosql injection', detectNoSqlInjection, [BODY, { source: 'query', isKey: true, name: '' }]],
  ['ssrf', detectSsrf, [BODY, { source: 'header', isKey: false, name: 'x-forwarded-host' }]],
  ['crlf injection', detectCrlfInjection, [BODY, { source: 'header', isKey: false, name: 'user-agent' }]],
  ['prototype pollution', detectPrototypePollution, [BODY, { source: 'query', isKey: true, name: '' }]],
];

/** Confirms a case that was slow on the screen: linear growth from 1 kB to 16 kB, 16 kB within budget. */
function confirmLinear(label: string, at: (size: number) => () => void): void {
  const small = bestCostMs(at(1024));
  const large = bestCostMs(at(16_384));
  expect(large, `${label}: 16 kB took ${large.toFixed(2)} ms`).toBeLessThan(BUDGET_16K_MS);
  expect(large, `${label}: 1 kB ${small.toFixed(3)} ms → 16 kB ${large.toFixed(3)} ms`).toBeLessThan(
    Math.max(64 * small, NOISE_FLOOR_MS),
  );
}

const cases = OPENERS.flatMap((opener) => RUNS.flatMap((run) => TAILS.map((tail) => [opener, run, tail] as const)));
/** Through the whole engine one failing tail is enough; the detectors meet all three. */
const locationCases = OPENERS.flatMap((opener) => RUNS.map((run) => [opener, run, '!'] as const));

describe('generative ReDoS: opener × run × tail', () => {
  it(`covers ${OPENERS.length} openers × ${RUNS.length} runs × ${TAILS.length} tails`, () => {
    expect(cases.length).toBe(OPENERS.length * RUNS.length * TAILS.length);
  });

  it.each(DETECTORS)(
    '%s grows linearly in every context',
    (name, detect, contexts) => {
      for (const [opener, run, tail] of cases) {
        const at = (size: number) => {
          const text = normalize(build(opener, run, tail, size));
          return () => {
            for (const context of contexts) detect(text, context);
          };
        };
        if (costMs(at(SCREEN_SIZE)) < SCREEN_MS) continue;
        confirmLinear(`${name} ${JSON.stringify([opener, run, tail])}`, at);
      }
    },
    600_000,
  );

  it.each(Object.entries(LOCATIONS))(
    'the whole engine grows linearly from the %s, and inspects 16 kB within the budget',
    (location, place) => {
      for (const [opener, run, tail] of locationCases) {
        const at = (size: number) => {
          const request = place(build(opener, run, tail, size));
          return () => void inspectRequest(request);
        };
        if (costMs(at(SCREEN_SIZE)) < SCREEN_MS) continue;
        confirmLinear(`${location} ${JSON.stringify([opener, run, tail])}`, at);
      }
    },
    600_000,
  );
});

/** Every string a corpus request carries, raw and percent-decoded: path and segments, query pairs, headers, cookies, body keys and values. */
function corpusStrings(): Set<string> {
  const strings = new Set<string>();
  const add = (s: string): void => {
    strings.add(s);
    strings.add(percentDecode(s.replaceAll('+', ' ')));
  };
  const walk = (value: unknown): void => {
    if (typeof value === 'string') add(value);
    else if (value !== null && typeof value === 'object')
      for (const [key, child] of Object.entries(value)) {
        add(key);
        walk(child);
      }
  };
  for (const file of ['attacks.jsonl', 'benign.jsonl']) {
    for (const line of readFileSync(join(__dirname, '../../corpus', file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const { path = '', query, headers = {}, body } = (JSON.parse(line) as { request: InspectableRequest }).request;
      const [pathname = '', search] = path.split('?');
      add(pathname);
      pathname.split('/').forEach(add);
      for (const q of [search, query]) {
        if (typeof q === 'string') q.split('&').forEach((pair) => pair.split('=').forEach(add));
        else walk(q);
      }
      for (const [name, value] of Object.entries(headers)) {
        const text = typeof value === 'string' ? value : (value ?? []).join(', ');
        add(text);
        if (name === 'cookie') text.split(';').forEach((pair) => pair.split('=').forEach((part) => add(part.trim())));
      }
      walk(body);
    }
  }
  return strings;
}

/** Contexts that change what the prefilters and detectors do: source, key or value, fetched-URL and browser-destination names. */
const PREFILTER_CONTEXTS = [
  context('body', false, 'note'),
  context('body', false, 'webhook_url'),
  context('body', false, 'redirect_uri'),
  context('body', true, ''),
  context('query', false, 'q'),
  context('query', true, ''),
  context('header', false, 'user-agent'),
  context('header', false, 'x-forwarded-host'),
  context('cookie', false, 'session'),
  context('path', false, ''),
];

/** What every detector finds in `raw` without any prefilter: the reference the prefiltered path must equal. */
function unfiltered(raw: string, where: (typeof PREFILTER_CONTEXTS)[number]): Match[] {
  const text = normalize(raw);
  const matches: Match[] = [];
  for (const [category, detect] of ENGINE_DETECTORS) {
    const match = detect(text, where);
    if (match) matches.push([category, match]);
  }
  return matches;
}

const PREFILTER_INPUTS: [string, () => Set<string>][] = [
  ['every string of the corpus (both splits, attacks and benign)', corpusStrings],
  [
    'every generated opener × run × tail',
    () => new Set(cases.flatMap(([opener, run, tail]) => [build(opener, run, tail, 40), opener + tail])),
  ],
];

describe('prefilters never skip a detector that would match', () => {
  it.each(PREFILTER_INPUTS)(
    'the engine finds what every detector finds, on %s',
    (_name, inputs) => {
      let compared = 0;
      for (const raw of inputs()) {
        if (raw === '') continue;
        for (const where of PREFILTER_CONTEXTS) {
          const expected = unfiltered(raw, where);
          // Twice: the second answer comes from the verdict memo.
          for (let i = 0; i < 2; i++) {
            const actual = matchesOf(raw, where, ALL);
            if (JSON.stringify(actual) !== JSON.stringify(expected))
              expect({ raw, where, actual }).toEqual({ raw, where, actual: expected });
          }
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(10_000);
    },
    120_000,
  );
});
