import { describe, expect, it } from 'vitest';
import { countQueryParams, parseQueryString, queryOf } from './query-string';

describe('query strings', () => {
  it('counts parameters without splitting', () => {
    expect(countQueryParams('')).toBe(0);
    expect(countQueryParams('a=1')).toBe(1);
    expect(countQueryParams('a=1&b=2&&')).toBe(4);
    expect(queryOf('/x?a=1?b')).toBe('a=1?b');
    expect(queryOf('/x')).toBe('');
  });

  it('parses flat pairs; repeated keys become arrays; nothing nests', () => {
    const query = parseQueryString('a=1&a=2&a=3&b=x%20y&c[d][e]=1&__proto__[isAdmin]=1&constructor=x', 100);
    expect({ ...query }).toEqual({
      a: ['1', '2', '3'],
      b: 'x y',
      'c[d][e]': '1',
      '__proto__[isAdmin]': '1',
      constructor: 'x',
    });
    expect(Object.getPrototypeOf(query)).toBeNull();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('keeps a literal __proto__ key as data, not as a prototype', () => {
    const query = parseQueryString('__proto__=x', 100);
    expect(Object.getPrototypeOf(query)).toBeNull();
    expect(Object.keys(query)).toEqual(['__proto__']);
  });

  it('reads at most maxParams pairs', () => {
    expect(Object.keys(parseQueryString('a=1&b=2&c=3', 2))).toEqual(['a', 'b']);
  });
});
