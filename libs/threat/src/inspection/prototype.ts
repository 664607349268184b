import type { Detector } from './types';

/**
 * Prototype pollution: `__proto__` or `constructor.prototype` as a key (JSON bodies, `qs`
 * brackets, dotted paths), as a path string handed to a deep-set helper, or inside JSON carried in a
 * string (`filter={"constructor":{"prototype":{…}}}`) that the application parses and merges. A field called
 * `constructor` on its own (a car's maker) is not reported.
 */
// `constructor.prototype`, `constructor[prototype]` and, in qs bracket keys, `a[constructor][prototype]`.
const POLLUTING_PATH =
  /(?:^|[.[\s'"])__proto__(?:$|[.[\]\s'"])|constructor\s*(?:['"]\s*)?\]?\s*(?:\.\s*|\[\s*(?:['"]\s*)?)prototype\b|"constructor"\s*:\s*\{\s*"prototype"\s*:/;

export const detectPrototypePollution: Detector = (text, context) => {
  if (!text.includes('__proto__') && !text.includes('prototype')) return undefined;
  if (context.isKey && text.trim() === '__proto__') return { rule: 'prototype_pollution.key', severity: 'critical' };
  if (POLLUTING_PATH.test(text)) {
    return { rule: context.isKey ? 'prototype_pollution.key' : 'prototype_pollution.path', severity: 'critical' };
  }
  return undefined;
};
