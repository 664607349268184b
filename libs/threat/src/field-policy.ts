import type { ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { fieldKindsOf, markFieldKind, type FieldKind } from '@rampart/core';
import type { ThreatCategory } from './inspection/types';
import type { ThreatPolicyOptions } from './threat-policy.decorator';
import type { RouteInspection } from './threat.service';

/**
 * What a field of each kind may legitimately look like, so is not reported there. Rich text is
 * markup by design and the validation lib sanitises it (`@RichText`): XSS is its sanitiser's job,
 * every other category is still inspected. Code (a snippet, a query in a SQL tutorial, a shell
 * one-liner) looks like every injection; only prototype pollution (a key, not content) and the
 * walk bounds still apply.
 * @publicApi
 */
export const FIELD_KIND_EXEMPTIONS: Readonly<Record<FieldKind, readonly ThreatCategory[]>> = Object.freeze({
  rich_text: Object.freeze(['xss'] as const),
  code: Object.freeze([
    'xss',
    'sqli',
    'command_injection',
    'template_injection',
    'path_traversal',
    'nosql_injection',
    'crlf_injection',
    'ssrf',
  ] as const),
});

/**
 * Declares what a DTO property carries, for the threat guard (`@RichText()` of the validation lib
 * already declares `rich_text`). Fields of the `@Body()` DTO are exempt from the categories of
 * {@link FIELD_KIND_EXEMPTIONS} for their kind.
 * @publicApi
 * @example
 * class SnippetDto {
 *   @IsString() @MaxLength(20_000) @ThreatField('code') source!: string;
 * }
 */
export function ThreatField(kind: FieldKind): PropertyDecorator {
  return (target, property) => markFieldKind(target, property, kind);
}

type Handler = (...args: unknown[]) => unknown;
const routes = new WeakMap<Handler, RouteInspection>();

interface NestedField {
  property: string;
  type: unknown;
  /** An array of DTOs: the path takes `*` for the index (`body.items.*.text`). */
  many: boolean;
}
interface ValidationMetadataLike {
  type: string;
  propertyName: string;
  each?: boolean;
}
interface ClassValidatorLike {
  getMetadataStorage(): {
    getTargetValidationMetadatas(
      target: unknown,
      schema: string,
      always: boolean,
      strict: boolean,
    ): ValidationMetadataLike[];
  };
}
interface ClassTransformerStorageLike {
  defaultMetadataStorage: {
    findTypeMetadata(
      target: unknown,
      property: string,
    ): { typeFunction(): unknown; reflectedType?: unknown } | undefined;
  };
}

/** class-validator and class-transformer, when the app has them (optional peers: no nested DTOs without them). */
function optional(name: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional peers, loaded once if present
    return require(name);
  } catch {
    return undefined;
  }
}
const classValidator = optional('class-validator') as ClassValidatorLike | undefined;
const classTransformer = optional('class-transformer/cjs/storage') as ClassTransformerStorageLike | undefined;

/**
 * The nested DTOs of a DTO class, as its validation declares them: `@ValidateNested()` properties,
 * typed by class-transformer's `@Type(() => X)` (which Nest's ValidationPipe needs to build them),
 * else by the emitted `design:type`.
 */
function nestedFields(type: unknown): NestedField[] {
  if (typeof type !== 'function' || !classValidator) return [];
  const nested: NestedField[] = [];
  for (const meta of classValidator.getMetadataStorage().getTargetValidationMetadatas(type, '', true, false)) {
    if (meta.type !== 'nestedValidation') continue;
    const declared = classTransformer?.defaultMetadataStorage.findTypeMetadata(type, meta.propertyName);
    const reflected: unknown =
      declared?.reflectedType ??
      Reflect.getMetadata('design:type', (type as { prototype: object }).prototype, meta.propertyName);
    const target = declared ? declared.typeFunction() : reflected;
    if (typeof target !== 'function' || target === Array || target === Object) continue;
    nested.push({ property: meta.propertyName, type: target, many: reflected === Array || meta.each === true });
  }
  return nested;
}

/** Deepest nesting of DTOs followed (a DTO graph may be cyclic: a category with child categories). */
const MAX_DTO_DEPTH = 8;

/** The field exemptions of a DTO and of its nested DTOs, under `prefix` (`body`, `body.address`, `body.items.*`). */
function dtoExemptions(
  type: unknown,
  prefix: string,
  exempt: Record<string, readonly ThreatCategory[]>,
  seen: readonly unknown[],
): void {
  if (seen.length > MAX_DTO_DEPTH || seen.includes(type)) return;
  for (const [property, kind] of fieldKindsOf(type)) exempt[`${prefix}.${property}`] = FIELD_KIND_EXEMPTIONS[kind];
  for (const field of nestedFields(type)) {
    dtoExemptions(field.type, `${prefix}.${field.property}${field.many ? '.*' : ''}`, exempt, [...seen, type]);
  }
}

/** Exemptions of the fields of the DTO the handler takes as its whole `@Body()`, nested DTOs included. */
function bodyFieldExemptions(controller: Handler, handler: Handler): Record<string, readonly ThreatCategory[]> {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) ?? {}) as Record<
    string,
    { index: number; data?: unknown }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', controller.prototype as object, handler.name) ??
    []) as unknown[];
  const exempt: Record<string, readonly ThreatCategory[]> = {};
  for (const [key, arg] of Object.entries(args)) {
    if (key.split(':')[0] !== String(RouteParamtypes.BODY) || arg.data !== undefined) continue;
    dtoExemptions(types[arg.index], 'body', exempt, []);
  }
  return exempt;
}

/** The route's inspection policy (its `@ThreatPolicy` and its body DTO's field kinds), built once per handler. */
export function routeInspection(context: ExecutionContext, policy: ThreatPolicyOptions | undefined): RouteInspection {
  const handler = context.getHandler() as Handler;
  let route = routes.get(handler);
  if (!route) {
    route = Object.freeze({
      ignore: Object.freeze([...(policy?.ignore ?? [])]),
      exempt: Object.freeze({
        ...bodyFieldExemptions(context.getClass() as unknown as Handler, handler),
        ...policy?.exempt,
      }),
    });
    routes.set(handler, route);
  }
  return route;
}
