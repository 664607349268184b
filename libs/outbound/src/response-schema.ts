import type { FieldError } from '@rampart/errors';
import type { ValidationError as ClassValidatorError } from 'class-validator';
import { OutboundResponseInvalidError } from './outbound.errors';

/** The part of the Standard Schema interface (standardschema.dev) used here: zod, valibot, arktype… */
export interface StandardSchemaV1<Output = unknown> {
  readonly '~standard': {
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  };
}
type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] }[] };

/**
 * What a third party's JSON must match: a Standard Schema, or a class-validator DTO class.
 * @publicApi
 */
export type ResponseSchema<T> = StandardSchemaV1<T> | (new () => T);

/** A third party's field errors are capped like a client's: their number is up to the sender. */
const MAX_ERRORS = 20;

function isStandardSchema<T>(schema: ResponseSchema<T>): schema is StandardSchemaV1<T> {
  return typeof (schema as Partial<StandardSchemaV1>)['~standard']?.validate === 'function';
}

function segment(part: unknown): string {
  return String(typeof part === 'object' && part !== null && 'key' in part ? part.key : part);
}

function classErrors(errors: readonly ClassValidatorError[]): FieldError[] {
  const result: FieldError[] = [];
  const queue: [ClassValidatorError, string][] = errors.map((e) => [e, e.property]);
  for (const [error, field] of queue) {
    for (const message of Object.values(error.constraints ?? {})) result.push({ field, message });
    for (const child of error.children ?? []) queue.push([child, `${field}.${child.property}`]);
  }
  return result.slice(0, MAX_ERRORS);
}

/**
 * Validates a third party's parsed JSON before the application sees it (OWASP API10). DTOs are
 * validated with `whitelist` (fields the DTO does not declare are dropped: a partner adding
 * fields is normal, a partner's field reaching the app undeclared is not); schemas return
 * their own output.
 * @throws OutboundResponseInvalidError
 */
export async function validateResponse<T>(value: unknown, schema: ResponseSchema<T>, host: string): Promise<T> {
  if (isStandardSchema(schema)) {
    const result = await schema['~standard'].validate(value);
    if (result.issues === undefined) return result.value;
    throw new OutboundResponseInvalidError(
      host,
      result.issues.slice(0, MAX_ERRORS).map((issue) => ({
        field: (issue.path ?? []).map(segment).join('.'),
        message: issue.message,
      })),
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OutboundResponseInvalidError(host, [{ field: '', message: 'The response must be a JSON object.' }]);
  }
  // Optional peers, loaded only by apps that validate with DTOs.
  const [{ plainToInstance }, { validate }] = await Promise.all([
    import('class-transformer'),
    import('class-validator'),
  ]);
  const instance = plainToInstance(schema, value);
  const errors = await validate(instance as object, {
    whitelist: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw new OutboundResponseInvalidError(host, classErrors(errors));
  return instance;
}
