import type { Type } from '@nestjs/common';
import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { loadOptionalPeer } from '@rampart/core';

interface ConstraintMetadata {
  type: string;
  name?: string;
  propertyName: string;
  constraints?: unknown[];
  each?: boolean;
}
interface ClassValidator {
  getMetadataStorage(): {
    getTargetValidationMetadatas(target: Type, schema: string, always: boolean, strict: boolean): ConstraintMetadata[];
  };
}

type Keywords = Partial<Record<string, unknown>>;

/**
 * class-validator constraint → JSON Schema keywords. The swagger CLI plugin reads decorators by
 * name in the source, so it cannot see through composed ones (`@PlainText({ maxLength })` is
 * `@MaxLength` inside); class-validator's own registry can, whoever applied the decorator.
 */
const KEYWORDS: Readonly<Record<string, (c: unknown[]) => Keywords>> = {
  isString: () => ({ type: 'string' }),
  isBoolean: () => ({ type: 'boolean' }),
  isNumber: () => ({ type: 'number' }),
  isArray: () => ({ type: 'array' }),
  isObject: () => ({ type: 'object' }),
  maxLength: ([max]) => ({ maxLength: max }),
  minLength: ([min]) => ({ minLength: min }),
  isLength: ([min, max]) => ({ minLength: min, ...(max === undefined ? {} : { maxLength: max }) }),
  isNotEmpty: () => ({ minLength: 1 }),
  matches: ([pattern]) => ({ pattern: pattern instanceof RegExp ? pattern.source : pattern }),
  isEmail: () => ({ format: 'email' }),
  isUrl: () => ({ format: 'uri' }),
  isSafeUrl: () => ({ format: 'uri' }),
  isUuid: () => ({ format: 'uuid' }),
  isISO8601: () => ({ format: 'date-time' }),
  isDateString: () => ({ format: 'date-time' }),
  min: ([min]) => ({ minimum: min }),
  max: ([max]) => ({ maximum: max }),
  isInt: () => ({ type: 'integer' }),
  isPositive: () => ({ exclusiveMinimum: 0 }),
  isIn: ([values]) => ({ enum: values }),
  isEnum: ([values]) => ({ enum: Object.values(values as object) }),
  arrayMaxSize: ([max]) => ({ maxItems: max }),
  arrayMinSize: ([min]) => ({ minItems: min }),
};

/**
 * Adds the validation constraints of `types` (and the DTOs they nest) to their component schemas.
 * A keyword already in the schema (an explicit `@ApiProperty`, the CLI plugin) is kept.
 */
export function addValidationConstraints(
  schemas: Record<string, SchemaObject | ReferenceObject>,
  types: Iterable<Type>,
): void {
  let classValidator: ClassValidator;
  try {
    classValidator = loadOptionalPeer(
      'class-validator',
      'Validation constraints in the OpenAPI document',
    ) as ClassValidator;
  } catch {
    return; // no class-validator, no constraints to show
  }
  const storage = classValidator.getMetadataStorage();
  const pending = [...types];
  const seen = new Set<Type>();
  for (let type = pending.pop(); type; type = pending.pop()) {
    if (seen.has(type)) continue;
    seen.add(type);
    const schema = schemas[type.name];
    if (!schema || '$ref' in schema) continue;
    const properties = (schema.properties ??= {});
    const metadatas = storage.getTargetValidationMetadatas(type, '', true, false);
    const optional = new Set(metadatas.filter((m) => m.type === 'conditionalValidation').map((m) => m.propertyName));
    for (const metadata of metadatas) {
      // Without the CLI plugin or @ApiProperty, swagger knows no property: class-validator does.
      const property = (properties[metadata.propertyName] ??= {});
      if ('$ref' in property) continue;
      const nested = Reflect.getMetadata('design:type', type.prototype as object, metadata.propertyName) as unknown;
      if (metadata.type === 'nestedValidation' && typeof nested === 'function') pending.push(nested as Type);
      const keywords = metadata.name ? KEYWORDS[metadata.name]?.(metadata.constraints ?? []) : undefined;
      if (!keywords) continue;
      const target = metadata.each && property.items && !('$ref' in property.items) ? property.items : property;
      for (const [keyword, value] of Object.entries(keywords)) {
        if (value !== undefined && (target as Record<string, unknown>)[keyword] === undefined) {
          (target as Record<string, unknown>)[keyword] = value;
        }
      }
    }
    const required = new Set(schema.required ?? []);
    for (const name of new Set(metadatas.map((m) => m.propertyName))) if (!optional.has(name)) required.add(name);
    if (required.size > 0) schema.required = [...required];
  }
}
