import type { ArgumentMetadata } from '@nestjs/common';
import { ValidationError } from '@rampart/errors';
import { IsInt, IsString, MaxLength, getMetadataStorage } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { SecureValidationPipe } from './secure-validation.pipe';
import { cacheValidationMetadata } from './validation-metadata-cache';

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

async function fieldsRefused(run: () => unknown): Promise<string[]> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors.map((e) => e.field).sort();
  }
  return [];
}

describe('cacheValidationMetadata (rules looked up once per DTO class)', () => {
  const pipe = new SecureValidationPipe();

  it('gives the same rules on every call, without recomputing them', () => {
    class Point {
      @IsInt() x!: number;
    }
    const storage = getMetadataStorage();
    const first = storage.getTargetValidationMetadatas(Point, '', false, false);
    expect(first.map((m) => m.propertyName)).toEqual(['x']);
    expect(storage.getTargetValidationMetadatas(Point, '', false, false)).toBe(first);
    // Other options are another entry, not the cached one.
    expect(storage.getTargetValidationMetadatas(Point, '', true, false)).not.toBe(first);
  });

  it('is idempotent: installing it twice does not wrap the storage twice', () => {
    const lookup = (): unknown => Object.getOwnPropertyDescriptor(getMetadataStorage(), 'getTargetValidationMetadatas');
    const installed = lookup();
    expect(installed).toBeDefined();
    cacheValidationMetadata();
    expect(lookup()).toEqual(installed);
  });

  it('enforces a rule registered after the class was first validated', async () => {
    class Note {
      @IsString() text!: string;
    }
    expect(await fieldsRefused(() => pipe.transform({ text: 'a long text' }, body(Note)))).toEqual([]);
    // A decorator applied later (a class patched at run time, a mapped type built lazily).
    MaxLength(3)(Note.prototype, 'text');
    expect(await fieldsRefused(() => pipe.transform({ text: 'a long text' }, body(Note)))).toEqual(['text']);
  });

  it('finds the rules of a subclass defined after its parent was validated, inherited ones included', async () => {
    class Base {
      @IsString() name!: string;
    }
    expect(await fieldsRefused(() => pipe.transform({ name: 'a' }, body(Base)))).toEqual([]);
    class Child extends Base {
      @IsInt() age!: number;
    }
    expect(await fieldsRefused(() => pipe.transform({ name: 1, age: 'x' }, body(Child)))).toEqual(['age', 'name']);
    // The parent keeps its own rules only: `age` is an unknown field there.
    expect(await fieldsRefused(() => pipe.transform({ name: 'a', age: 3 }, body(Base)))).toEqual(['age']);
  });
});
