/**
 * What a DTO property carries, declared once where it is validated and read by other libs: the
 * validation lib marks `@RichText()` fields `rich_text`; the threat lib exempts such fields from
 * the categories their content legitimately looks like (markup in rich text, code in snippets).
 * @publicApi
 */
export type FieldKind = 'rich_text' | 'code';

const FIELD_KINDS = Symbol.for('rampart.fieldKinds');

type WithKinds = { [FIELD_KINDS]?: Map<string, FieldKind> };

/** Marks `property` of the class whose prototype is `target` (a property decorator's arguments). */
export function markFieldKind(target: object, property: string | symbol, kind: FieldKind): void {
  if (typeof property !== 'string') return;
  const ctor = (target as { constructor: WithKinds }).constructor;
  // Own map per class, seeded from the parent's: a subclass adds fields without changing its parent.
  if (!Object.prototype.hasOwnProperty.call(ctor, FIELD_KINDS)) {
    Object.defineProperty(ctor, FIELD_KINDS, { value: new Map(ctor[FIELD_KINDS] ?? []), enumerable: false });
  }
  ctor[FIELD_KINDS]?.set(property, kind);
}

/** The marked properties of a DTO class (inherited ones included); empty for anything else. */
export function fieldKindsOf(type: unknown): ReadonlyMap<string, FieldKind> {
  return (typeof type === 'function' ? (type as WithKinds)[FIELD_KINDS] : undefined) ?? new Map();
}
