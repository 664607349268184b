import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { RampartCoreModule, useRequestContext } from './core.module';
import { InvalidOptionsError } from './invalid-options.error';

describe('RampartCoreModule', () => {
  it('refuses bad options at bootstrap with a typed error', async () => {
    @Module({ imports: [RampartCoreModule.forRoot({ trustedProxies: ['not-a-cidr'] })] })
    class BadModule {}
    await expect(NestFactory.create(BadModule, { logger: false, abortOnError: false })).rejects.toMatchObject({
      code: 'CORE_INVALID_OPTIONS',
    });
  });

  it('makes useRequestContext() throw, not end the process, when the module is missing', async () => {
    @Module({})
    class EmptyModule {}
    const app = await NestFactory.create(EmptyModule, { logger: false });
    expect(() => {
      useRequestContext(app);
    }).toThrow(InvalidOptionsError);
    await app.close();
  });
});
