import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { SerializeAs } from './serialize-as.decorator';

@Controller('users')
class UsersController {
  @SerializeAs('User')
  @Get()
  list(): { id: number; passwordHash: string }[] {
    return [{ id: 1, passwordHash: 'secret' }];
  }
}

/** A feature module that uses @SerializeAs() with no AuthModule (none imported, none global). */
@Module({ controllers: [UsersController] })
class WithoutAuthModule {}

describe('@SerializeAs()', () => {
  it('refuses to start without AuthModule instead of sending every field', async () => {
    await expect(NestFactory.create(WithoutAuthModule, { logger: false, abortOnError: false })).rejects.toThrow(
      /FieldAccessInterceptor/,
    );
  });
});
