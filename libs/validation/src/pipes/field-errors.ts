import type { FieldError } from '@rampart/errors';
import type { ValidationError as ClassValidatorError } from 'class-validator';

/** A response lists this many field errors at most: their number is up to the client. */
export const MAX_FIELD_ERRORS = 20;
/** Field names can be the client's own (an unknown key): they are cut to this length. */
const MAX_FIELD_LENGTH = 100;

export function fieldName(segments: readonly PropertyKey[]): string {
  const name = segments.map(String).join('.');
  return name.length > MAX_FIELD_LENGTH ? `${name.slice(0, MAX_FIELD_LENGTH)}…` : name;
}

/** The input at `path`, to check that a message does not repeat it. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * A message that quotes the rejected value (a custom class-validator message with `$value`, a
 * schema library that prints what it received) would reflect the client's input — markup,
 * secrets typed in the wrong field — into the response and the logs. Such a message is replaced.
 */
function withoutEcho(message: string, field: string, rejected: unknown): string {
  // Strings only, of 3+ characters: a number or a letter would match limits quoted in messages
  // ("must be at most 100") and blank useful messages for nothing.
  if (typeof rejected === 'string' && rejected.length >= 3 && message.includes(rejected)) {
    return `${field || 'The value'} is invalid.`;
  }
  return message;
}

/** class-validator's error tree, flattened to dotted fields, breadth-first, without recursion. */
export function classValidatorFieldErrors(errors: readonly ClassValidatorError[], input: unknown): FieldError[] {
  const result: FieldError[] = [];
  const queue: [ClassValidatorError, PropertyKey[]][] = errors.map((error) => [error, [error.property]]);
  for (const [error, path] of queue) {
    if (result.length >= MAX_FIELD_ERRORS) break;
    const field = fieldName(path);
    for (const message of Object.values(error.constraints ?? {})) {
      result.push({ field, message: withoutEcho(message, field, valueAt(input, path)) });
    }
    for (const child of error.children ?? []) queue.push([child, [...path, child.property]]);
  }
  return result.slice(0, MAX_FIELD_ERRORS);
}

interface StandardIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/** Standard Schema issues as field errors. zod's `unrecognized_keys` names each key as a field. */
export function standardSchemaFieldErrors(issues: readonly StandardIssue[], input: unknown): FieldError[] {
  const result: FieldError[] = [];
  for (const issue of issues) {
    if (result.length >= MAX_FIELD_ERRORS) break;
    const path = (issue.path ?? []).map((segment) => (typeof segment === 'object' ? segment.key : segment));
    const keys = (issue as { keys?: unknown }).keys;
    if (Array.isArray(keys) && keys.every((key) => typeof key === 'string')) {
      for (const key of keys) result.push({ field: fieldName([...path, key]), message: 'This field is not accepted.' });
      continue;
    }
    const field = fieldName(path);
    result.push({ field, message: withoutEcho(issue.message, field, valueAt(input, path)) });
  }
  return result.slice(0, MAX_FIELD_ERRORS);
}

/**
 * Keys of `input` that the schema's output dropped: a schema that strips unknown keys (zod's
 * default `z.object`) would otherwise let a mass-assignment attempt pass silently. Walks both
 * side by side, iteratively; where the schema changed a value's type it stops looking below.
 */
export function droppedKeys(input: unknown, output: unknown): string[] {
  const dropped: string[] = [];
  const pending: [unknown, unknown, PropertyKey[]][] = [[input, output, []]];
  for (let next = pending.pop(); next && dropped.length < MAX_FIELD_ERRORS; next = pending.pop()) {
    const [from, to, path] = next;
    if (typeof from !== 'object' || from === null || typeof to !== 'object' || to === null) continue;
    if (Array.isArray(from) !== Array.isArray(to)) continue;
    for (const key of Object.keys(from)) {
      if (!Object.hasOwn(to, key)) dropped.push(fieldName([...path, key]));
      else pending.push([(from as Record<string, unknown>)[key], (to as Record<string, unknown>)[key], [...path, key]]);
    }
  }
  return dropped;
}

/**
 * Keys of `input` (at any depth) named like a member of `Object.prototype` or `prototype`: what a
 * DTO never declares and class-transformer or Nest's pipe would drop without a word. Iterative;
 * the body's shape was already held to the limits (depth, keys).
 */
export function prototypeNamedKeys(input: unknown): string[] {
  const found: string[] = [];
  if (typeof input !== 'object' || input === null) return found;
  // Runs on every DTO body: objects only are queued, and a key's path is built only when it is
  // reported (each queued object links to its parent), so a clean body allocates one entry per object.
  const pending: Visit[] = [{ value: input, key: undefined, parent: undefined }];
  for (let visit = pending.pop(); visit && found.length < MAX_FIELD_ERRORS; visit = pending.pop()) {
    const value = visit.value as Record<string, unknown>;
    for (const key of Object.keys(value)) {
      if (key === 'prototype' || key in Object.prototype) {
        found.push(fieldName(pathOf(visit, key)));
        continue;
      }
      const child = value[key];
      if (typeof child === 'object' && child !== null) pending.push({ value: child, key, parent: visit });
    }
  }
  return found;
}

/** An object met while walking a body: its key in its parent (none for the body itself). */
interface Visit {
  readonly value: object;
  readonly key: string | undefined;
  readonly parent: Visit | undefined;
}

function pathOf(visit: Visit, key: string): string[] {
  const path = [key];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) path.unshift(at.key);
  return path;
}
