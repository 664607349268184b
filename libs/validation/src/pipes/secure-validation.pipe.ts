import {
  Inject,
  Injectable,
  Optional,
  ValidationPipe,
  type ArgumentMetadata,
  type PipeTransform,
} from '@nestjs/common';
import { ValidationError } from '@rampart/errors';
import type { ValidationError as ClassValidatorError } from 'class-validator';
import { assertShape, isShapeChecked, type ShapeLimits } from '../limits/json-shape';
import { RAMPART_VALIDATION_OPTIONS } from '../validation.constants';
import { DEFAULT_VALIDATION_OPTIONS } from '../validation.options';
import {
  classValidatorFieldErrors,
  droppedKeys,
  MAX_FIELD_ERRORS,
  prototypeNamedKeys,
  standardSchemaFieldErrors,
} from './field-errors';
import { cacheValidationMetadata } from './validation-metadata-cache';

/** The part of the Standard Schema interface (standardschema.dev) the pipe uses. */
interface StandardSchema {
  readonly '~standard': {
    validate(value: unknown): StandardResult | Promise<StandardResult>;
  };
}
type StandardResult =
  | { readonly value: unknown; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string; readonly path?: readonly PropertyKey[] }[] };

const PRIMITIVES: readonly unknown[] = [String, Number, Boolean, Symbol, BigInt, Object, Array];

/**
 * Rampart's validation pipe, for class-validator DTOs and Standard Schema validators (zod,
 * valibot, arktype… given as `@Body({ schema })`) alike:
 * - unknown fields are refused (400 naming each one), never silently dropped: mass assignment
 *   of `role` or `isAdmin` is an error the client sees;
 * - DTOs: `whitelist` + `forbidNonWhitelisted` + `forbidUnknownValues`, nested DTOs, explicit
 *   transformation only (no implicit conversion: a query's `"1e3"` stays a string unless the DTO
 *   converts it, and a primitive parameter is passed through as it came);
 * - the value's shape is held to the depth, key, array and string limits before a validator
 *   recurses into it (stock Nest overflows the stack on 10 000-deep JSON);
 * - failures are `ValidationError` (code VALIDATION_ERROR) with `errors: [{ field, message }]`,
 *   and no message repeats the rejected value.
 * Installed globally by `ValidationModule`.
 * @publicApi
 * @example
 * app.useGlobalPipes(new SecureValidationPipe());
 */
@Injectable()
export class SecureValidationPipe implements PipeTransform {
  private readonly limits: ShapeLimits;
  private readonly classPipe: ValidationPipe;

  constructor(@Optional() @Inject(RAMPART_VALIDATION_OPTIONS) limits?: ShapeLimits) {
    this.limits = limits ?? DEFAULT_VALIDATION_OPTIONS;
    cacheValidationMetadata();
    this.classPipe = new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      // Errors never carry the validated object or the rejected value.
      validationError: { target: false, value: false },
      exceptionFactory: (errors: ClassValidatorError[]) => new ClassValidatorErrors(errors),
    });
  }

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const schema = (metadata as { schema?: unknown }).schema;
    if (isStandardSchema(schema)) {
      this.checkShape(value);
      return this.validateSchema(value, schema);
    }
    const { metatype, type } = metadata;
    if (type === 'custom' || !metatype || PRIMITIVES.includes(metatype)) return value;
    if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      // Nest would validate a stand-in and, for a DTO without required fields, pass an array on.
      throw new ValidationError([{ field: metadata.data ?? '', message: `The ${type} must be a JSON object.` }]);
    }
    this.checkShape(value);
    return this.validateClass(value, metadata);
  }

  private async validateClass(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Keys named like Object.prototype's members (`constructor`, `toString`, `hasOwnProperty`…) or
    // `prototype` never reach the whitelist: Nest's pipe deletes some from the input and
    // class-transformer skips the others, so they would vanish without a word. Refused like every
    // other unknown key: a silent drop hides a probe (or a mass-assignment attempt) from the 400
    // and from the events. Looked for before the pipe runs, since it mutates the input.
    const named = prototypeNamedKeys(value);
    if (named.length > 0) throw unacceptedFields(named);
    let result: unknown;
    try {
      result = await this.classPipe.transform(value, metadata);
    } catch (error) {
      if (!(error instanceof ClassValidatorErrors)) throw error;
      // Mapped here rather than in the exception factory, which does not see the input.
      throw new ValidationError(classValidatorFieldErrors(error.errors, value), undefined, {
        eventDetails: { fields: error.errors.map((e) => e.property).slice(0, MAX_FIELD_ERRORS) },
      });
    }
    return result;
  }

  private validateSchema(value: unknown, schema: StandardSchema): unknown {
    const result = schema['~standard'].validate(value);
    return result instanceof Promise
      ? result.then((r) => this.schemaOutcome(value, r))
      : this.schemaOutcome(value, result);
  }

  private schemaOutcome(input: unknown, result: StandardResult): unknown {
    if (result.issues) throw new ValidationError(standardSchemaFieldErrors(result.issues, input));
    const unknown = droppedKeys(input, result.value);
    if (unknown.length > 0) throw unacceptedFields(unknown);
    return result.value;
  }

  private checkShape(value: unknown): void {
    // A body the parser already held to these limits is not walked twice.
    if (!isShapeChecked(value)) assertShape(value, this.limits);
  }
}

function unacceptedFields(fields: readonly string[]): ValidationError {
  return new ValidationError(fields.map((field) => ({ field, message: 'This field is not accepted.' })));
}

/** What the inner pipe throws on failure, to be mapped with the input at hand. */
class ClassValidatorErrors {
  constructor(readonly errors: ClassValidatorError[]) {}
}

function isStandardSchema(schema: unknown): schema is StandardSchema {
  return (
    typeof schema === 'object' &&
    schema !== null &&
    typeof (schema as Partial<StandardSchema>)['~standard']?.validate === 'function'
  );
}
