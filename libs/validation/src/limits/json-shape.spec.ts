import { SecurityError } from '@rampart/errors';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VALIDATION_OPTIONS } from '../validation.options';
import { findShapeViolation, isShapeChecked, parseJsonBody } from './json-shape';

const limits = { ...DEFAULT_VALIDATION_OPTIONS, maxDepth: 3, maxKeys: 5, maxArrayLength: 3, maxStringLength: 8 };

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(SecurityError);
    return (error as SecurityError).reason;
  }
}

describe('parseJsonBody', () => {
  it('parses a document within the limits and marks it checked', () => {
    const value = parseJsonBody('{"a":{"b":[1,2,"xyz"]}}', limits);
    expect(value).toEqual({ a: { b: [1, 2, 'xyz'] } });
    expect(isShapeChecked(value)).toBe(true);
  });

  it.each([
    ['{"a":{"b":{"c":{}}}}', 'body_too_deep'],
    ['[[[[]]]]', 'body_too_deep'],
    ['{"a":1,"b":2,"c":3,"d":{"e":1,"f":2}}', 'too_many_keys'],
    ['{"a":[1,2,3,4]}', 'array_too_long'],
    ['{"a":"123456789"}', 'string_too_long'],
    ['{"123456789":1}', 'string_too_long'],
    ['{"__proto__":{"isAdmin":true}}', 'prototype_poisoning'],
    ['{"a":{"constructor":{"prototype":{"isAdmin":true}}}}', 'prototype_poisoning'],
    ['{"\\u005f_proto__":{}}', 'prototype_poisoning'],
    ['{"a":', 'malformed_json'],
    ['', 'malformed_json'],
  ])('refuses %s (%s)', (text, reason) => {
    expect(reasonOf(() => parseJsonBody(text, limits))).toBe(reason);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('accepts a "constructor" key that is not an object with a prototype', () => {
    expect(parseJsonBody('{"constructor":"x"}', { ...limits, maxStringLength: 20 })).toEqual({ constructor: 'x' });
  });

  it('refuses 100 000-deep nesting without overflowing the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(reasonOf(() => parseJsonBody(deep, DEFAULT_VALIDATION_OPTIONS))).toBe('body_too_deep');
  });
});

describe('findShapeViolation', () => {
  it('walks objects built in code, including a 100 000-deep one', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(findShapeViolation(deep, DEFAULT_VALIDATION_OPTIONS)?.reason).toBe('body_too_deep');
    expect(findShapeViolation({ a: [1, { b: 'ok' }] }, limits)).toBeUndefined();
  });

  it('finds an own __proto__ key that JSON.parse creates', () => {
    expect(findShapeViolation(JSON.parse('{"__proto__":1}'), limits)?.reason).toBe('prototype_poisoning');
  });
});
