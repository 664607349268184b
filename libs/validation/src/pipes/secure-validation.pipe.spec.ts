import type { ArgumentMetadata } from '@nestjs/common';
import { ValidationError } from '@rampart/errors';
import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, ValidateNested } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SecureValidationPipe } from './secure-validation.pipe';

class Inner {
  @IsInt() n!: number;
}

class Outer {
  @IsString() name!: string;
  @ValidateNested() @Type(() => Inner) inner!: Inner;
  @Matches(/^[a-z]+$/, { message: '$property "$value" is not lower case' }) code!: string;
}

const body = (metatype?: ArgumentMetadata['metatype'], extra: Partial<ArgumentMetadata> = {}): ArgumentMetadata => ({
  type: 'body',
  metatype,
  ...extra,
});

async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('SecureValidationPipe with class-validator DTOs', () => {
  const pipe = new SecureValidationPipe();

  it('returns an instance of the DTO', async () => {
    const value = await pipe.transform({ name: 'a', inner: { n: 1 }, code: 'abc' }, body(Outer));
    expect(value).toBeInstanceOf(Outer);
    expect((value as Outer).inner).toBeInstanceOf(Inner);
  });

  it('refuses unknown fields at any depth, naming them', async () => {
    const error = await errorOf(() =>
      pipe.transform({ name: 'a', role: 'admin', inner: { n: 1, x: 2 }, code: 'a' }, body(Outer)),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { field: 'role', message: 'property role should not exist' },
      { field: 'inner.x', message: 'property x should not exist' },
    ]);
  });

  it('names keys shaped like Object.prototype members by their full path, at any depth', async () => {
    const error = await errorOf(() =>
      pipe.transform(
        { name: 'a', valueOf: 1, inner: { n: 1, toString: 'x', deeper: [{ ok: 1 }, { prototype: {} }] }, code: 'a' },
        body(Outer),
      ),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.field).sort()).toEqual([
      'inner.deeper.1.prototype',
      'inner.toString',
      'valueOf',
    ]);
  });

  it('does not convert implicitly', async () => {
    const error = (await errorOf(() =>
      pipe.transform({ name: 1, inner: { n: '1' }, code: 'a' }, body(Outer)),
    )) as ValidationError;
    expect(error.errors.map((e) => e.field)).toEqual(['name', 'inner.n']);
  });

  it('replaces a message that quotes the rejected value', async () => {
    const error = (await errorOf(() =>
      pipe.transform({ name: 'a', inner: { n: 1 }, code: '<img src=x onerror=alert(1)>' }, body(Outer)),
    )) as ValidationError;
    expect(error.errors).toEqual([{ field: 'code', message: 'code is invalid.' }]);
  });

  it('refuses arrays and primitives where a DTO is expected', async () => {
    for (const value of [[{ name: 'a' }], 'x', 1, null]) {
      expect(await errorOf(() => pipe.transform(value, body(Outer)))).toBeInstanceOf(ValidationError);
    }
  });

  it('holds a value built in code to the shape limits before class-transformer recurses into it', async () => {
    let deep: Record<string, unknown> = { n: 1 };
    for (let i = 0; i < 100_000; i++) deep = { inner: deep };
    const error = await errorOf(() => pipe.transform(deep, body(Outer)));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).reason).toBe('body_too_deep');
  });

  it('passes primitive and custom parameters through unchanged', async () => {
    expect(await pipe.transform('1e3', { type: 'param', metatype: Number, data: 'id' })).toBe('1e3');
    const signal = new AbortController().signal;
    expect(await pipe.transform(signal, { type: 'custom', metatype: AbortSignal })).toBe(signal);
  });
});

describe('SecureValidationPipe with Standard Schema', () => {
  const pipe = new SecureValidationPipe();
  const user = z.object({
    name: z.string().min(2),
    tags: z.array(z.string()).max(2),
    profile: z.object({ bio: z.string() }),
  });

  it('returns the schema output', async () => {
    const input = { name: 'ab', tags: ['x'], profile: { bio: 'b' } };
    expect(await pipe.transform(input, body(undefined, { schema: user }))).toEqual(input);
  });

  it('refuses the keys a stripping schema would drop, naming them', async () => {
    const error = (await errorOf(() =>
      pipe.transform(
        { name: 'ab', tags: [], profile: { bio: 'b', admin: true }, role: 'admin' },
        body(undefined, { schema: user }),
      ),
    )) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.errors.map((e) => e.field).sort()).toEqual(['profile.admin', 'role']);
  });

  it("names each key of zod's unrecognized_keys issue", async () => {
    const strict = z.strictObject({ a: z.string() });
    const error = (await errorOf(() =>
      pipe.transform({ a: 'x', b: 1, c: 2 }, body(undefined, { schema: strict })),
    )) as ValidationError;
    expect(error.errors.map((e) => e.field)).toEqual(['b', 'c']);
  });

  it('maps issue paths to dotted fields and never echoes the value', async () => {
    const schema = z.object({
      list: z.array(z.string().refine((v) => v === 'ok', { error: (i) => `bad value ${String(i.input)}` })),
    });
    const error = (await errorOf(() =>
      pipe.transform({ list: ['ok', '<script>steal()</script>'] }, body(undefined, { schema })),
    )) as ValidationError;
    expect(error.errors).toEqual([{ field: 'list.1', message: 'list.1 is invalid.' }]);
  });

  it('awaits asynchronous schemas', async () => {
    const schema = z.object({ a: z.string().refine(async (v) => v.length > 1) });
    expect(await pipe.transform({ a: 'xy' }, body(undefined, { schema }))).toEqual({ a: 'xy' });
    expect(await errorOf(() => pipe.transform({ a: 'x' }, body(undefined, { schema })))).toBeInstanceOf(
      ValidationError,
    );
  });

  it('holds the value to the shape limits first', async () => {
    const error = await errorOf(() => pipe.transform({ name: 'x'.repeat(10_001) }, body(undefined, { schema: user })));
    expect((error as ValidationError).reason).toBe('string_too_long');
  });
});
