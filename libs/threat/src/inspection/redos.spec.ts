import { describe, expect, it } from 'vitest';
import { detectCommandInjection } from './command';
import { detectCrlfInjection } from './crlf';
import { inspectRequest } from './inspect';
import { normalize } from './normalize';
import { detectNoSqlInjection } from './nosql';
import { detectPathTraversal } from './path-traversal';
import { detectPrototypePollution } from './prototype';
import { detectSqlInjection } from './sql';
import { detectSsrf } from './ssrf';
import { detectTemplateInjection } from './template';
import type { DetectContext, Detector } from './types';
import { detectXss } from './xss';
import { bestCostMs, costMs } from '../../../../test/utils/cpu-time';

/**
 * ReDoS guard: every detector (so every regular expression in it) meets 50 kB inputs built from
 * repeated near-matches, the shapes that make backtracking engines go quadratic or exponential.
 * A linear implementation takes milliseconds; the budget is generous so the test never flakes,
 * and far below what a super-linear pattern needs on 50 kB (seconds to hours).
 */
const SIZE = 50_000;
const BUDGET_MS = 500;

const FRAGMENTS = [
  "'",
  '"',
  '`',
  "' or ",
  "1' or '1'='",
  ' union select',
  '(select ',
  '/*',
  '/*!',
  '--',
  '@@',
  '<',
  '<a ',
  '<a href="',
  '<a onx=',
  '<scr<',
  '" on',
  ' onerror=',
  "';",
  '";-',
  'javascript:',
  'data:text/html',
  '../',
  '..\\',
  '%2e%2e%2f',
  '%25',
  '%c0%af',
  '&#',
  '&#x3c',
  '&lt',
  '\\x3c',
  '\\u00',
  '; ',
  '| ',
  '&& ',
  '$(',
  '${',
  '${ifs}',
  '\n',
  '\r\n',
  '\nset-cookie',
  '{{',
  '{{7*',
  '{%',
  '<%',
  '#set(',
  '[$ne]',
  '{"$ne',
  "';return",
  'this.',
  '__proto__',
  'constructor.',
  'http://',
  'http://127.0.0.1',
  'file:/',
  '//',
  'a',
  ' ',
  'a.',
  '0x',
  '1',
  '1e',
  '() {',
  '-',
  '=',
  ';a',
  "'+",
  '(',
  '<!--',
  '$',
  '#',
  '%',
  '.',
  '\t',
  'on',
];

const detectors: [string, Detector][] = [
  ['sqli', detectSqlInjection],
  ['xss', detectXss],
  ['path traversal', detectPathTraversal],
  ['command injection', detectCommandInjection],
  ['template injection', detectTemplateInjection],
  ['nosql injection', detectNoSqlInjection],
  ['ssrf', detectSsrf],
  ['crlf injection', detectCrlfInjection],
  ['prototype pollution', detectPrototypePollution],
];

const contexts: DetectContext[] = [
  { source: 'query', isKey: false, name: 'url' },
  { source: 'body', isKey: true, name: '' },
];

function adversarial(fragment: string, tail: string): string {
  return fragment.repeat(Math.ceil(SIZE / fragment.length)).slice(0, SIZE) + tail;
}

describe('linear time on adversarial input (ReDoS)', () => {
  it.each(FRAGMENTS)('every detector handles 50 kB of %j near-matches', (fragment) => {
    for (const tail of ['', '!', '\n']) {
      const input = adversarial(fragment, tail);
      const text = normalize(input);
      for (const [name, detect] of detectors) {
        for (const context of contexts) {
          const elapsed = costMs(() => detect(text, context));
          expect(elapsed, `${name} on ${JSON.stringify(fragment)}`).toBeLessThan(BUDGET_MS);
        }
      }
    }
  });

  it('normalises and inspects a whole 50 kB request of near-matches within the budget', () => {
    const body = Object.fromEntries(FRAGMENTS.slice(0, 20).map((f, i) => [`f${i}`, adversarial(f, '')]));
    expect(costMs(() => inspectRequest({ body }))).toBeLessThan(BUDGET_MS * 20);
  });

  it('grows linearly: 8× the input costs far less than 64× the time', () => {
    const fiveInspections = (size: number) => {
      const input = "1' or '<a on".repeat(size);
      return () => {
        for (let i = 0; i < 5; i++) inspectRequest({ body: { v: input } });
      };
    };
    // The best of five: a pause landing in the large measurement alone would look like growth.
    const best = (size: number): number => bestCostMs(fiveInspections(size));
    fiveInspections(200)(); // warm-up
    const small = best(500);
    const large = best(4000);
    expect(large / small).toBeLessThan(32);
  });
});
