import { BadRequestError, ValidationError } from '@rampart/errors';
import sjson from 'secure-json-parse';
import type { ResolvedRouteLimits } from '../validation.options';

export type ShapeLimits = Pick<ResolvedRouteLimits, 'maxDepth' | 'maxKeys' | 'maxArrayLength' | 'maxStringLength'>;

/** Values whose shape was already checked against the global limits (by the body parser). */
const checkedValues = new WeakSet<object>();

export function markShapeChecked(value: unknown): void {
  if (typeof value === 'object' && value !== null) checkedValues.add(value);
}

export function isShapeChecked(value: unknown): boolean {
  return typeof value === 'object' && value !== null && checkedValues.has(value);
}

/**
 * The first way `value` breaks `limits`, or undefined. Walks with an explicit stack, never
 * recursion: a 10 000-deep document must not overflow the call stack of the very check meant to
 * refuse it. The cost is one visit per node, and stops at the first violation.
 */
export function findShapeViolation(value: unknown, limits: ShapeLimits): ValidationError | undefined {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  let keys = 0;
  while (values.length > 0) {
    const current = values.pop();
    const depth = depths.pop() ?? 0;
    if (typeof current === 'string') {
      if (current.length > limits.maxStringLength) {
        return refuse('string_too_long', `A string in the body is longer than ${limits.maxStringLength} characters.`);
      }
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limits.maxDepth) {
      return refuse('body_too_deep', `The body is nested deeper than ${limits.maxDepth} levels.`);
    }
    if (Array.isArray(current)) {
      if (current.length > limits.maxArrayLength) {
        return refuse('array_too_long', `An array in the body has more than ${limits.maxArrayLength} items.`);
      }
      for (const item of current as unknown[]) {
        values.push(item);
        depths.push(depth + 1);
      }
      continue;
    }
    const own = Object.keys(current);
    keys += own.length;
    if (keys > limits.maxKeys) {
      return refuse('too_many_keys', `The body has more than ${limits.maxKeys} keys.`);
    }
    for (const key of own) {
      const child = (current as Record<string, unknown>)[key];
      if (
        key === '__proto__' ||
        (key === 'constructor' && typeof child === 'object' && child !== null && 'prototype' in child)
      ) {
        return prototypePoisoning();
      }
      if (key.length > limits.maxStringLength) {
        return refuse('string_too_long', `A key in the body is longer than ${limits.maxStringLength} characters.`);
      }
      values.push(child);
      depths.push(depth + 1);
    }
  }
  return undefined;
}

/** Throws the first violation of `limits` in `value`. */
export function assertShape(value: unknown, limits: ShapeLimits): void {
  const violation = findShapeViolation(value, limits);
  if (violation) throw violation;
}

/**
 * Parses a JSON body. `__proto__` and `constructor.prototype` keys are refused here, at parse
 * time (secure-json-parse), so no later merge or copy can ever carry them onto a prototype; then
 * the document's shape is held to the limits before any validator walks it recursively.
 */
export function parseJsonBody(text: string, limits: ShapeLimits): unknown {
  let value: unknown;
  try {
    // V8's JSON.parse is iterative: deep nesting costs memory bounded by the body limit, not
    // stack. secure-json-parse only scans the result when the text mentions a suspect key.
    value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    if (error instanceof SyntaxError && error.message.startsWith('Object contains forbidden'))
      throw prototypePoisoning();
    // The parser's own message quotes the body: never send it.
    throw new BadRequestError('The request body is not valid JSON.', { reason: 'malformed_json' });
  }
  assertShape(value, limits);
  markShapeChecked(value);
  return value;
}

function prototypePoisoning(): ValidationError {
  return refuse(
    'prototype_poisoning',
    'The body contains a "__proto__" or "constructor.prototype" key, which is refused.',
  );
}

/**
 * A VALIDATION_ERROR (not a bare BAD_REQUEST), so the exception filter reports it as a
 * `validation.failed` security event with this reason: limit probing and prototype poisoning
 * are signals worth counting.
 */
export function refuse(reason: string, message: string): ValidationError {
  return new ValidationError([{ field: '', message }], message, { reason });
}
