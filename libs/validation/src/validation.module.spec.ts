import { Controller, Get, Post } from '@nestjs/common';
import { InvalidOptionsError } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import request from 'supertest';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import { useRequestLimits } from './limits/request-limits';
import { describe, expect, it } from 'vitest';
import { RequestLimits } from './limits/request-limits.decorator';
import { ValidationModule } from './validation.module';
import { resolveValidationOptions } from './validation.options';

describe('validation options', () => {
  it('fills safe defaults and freezes them', () => {
    const options = resolveValidationOptions({ maxDepth: 5 });
    expect(options).toMatchObject({
      maxDepth: 5,
      maxBodyBytes: 102_400,
      timeoutMs: 10_000,
      mediaTypes: ['application/json'],
    });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it.each([
    [{ maxDepth: 0 }],
    [{ maxBodyBytes: 1.5 }],
    [{ timeoutMs: -1 }],
    [{ mediaTypes: [] }],
    [{ mediaTypes: ['json'] }],
    [{ headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 }],
  ])('refuses %j at bootstrap', (options) => {
    expect(() => resolveValidationOptions(options)).toThrow(InvalidOptionsError);
  });

  it('refuses a bad @RequestLimits() when the class is declared', () => {
    expect(() => RequestLimits({ maxKeys: 0 })).toThrow(InvalidOptionsError);
  });
});

describe('ValidationModule', () => {
  it('refuses to start when a route asks for more than the global limit', async () => {
    @Controller()
    class UploadController {
      @Post()
      @RequestLimits({ maxBodyBytes: 1024 * 1024 })
      upload(): void {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [ValidationModule.forRoot({})],
      controllers: [UploadController],
    }).compile();
    await expect(moduleRef.createNestApplication({ logger: false }).init()).rejects.toThrow(
      /UploadController\.upload sets maxBodyBytes/,
    );
  });

  it("merges a method's limits over its controller's", async () => {
    @Controller('merge')
    @RequestLimits({ timeoutMs: 50, maxDepth: 5 })
    class MergeController {
      @Get()
      @RequestLimits({ maxDepth: 2 })
      async slow(): Promise<string> {
        await new Promise((resolve) => setTimeout(resolve, 500));
        return 'late';
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [ErrorsModule.forRoot({}), ValidationModule.forRoot({})],
      controllers: [MergeController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const res = await request(app.getHttpServer()).get('/merge');
    expect(res.status).toBe(503); // the controller's timeout still applies under the method's own limits
    await app.close();
  });

  it('starts when routes only tighten, or change their timeout', async () => {
    @Controller()
    @RequestLimits({ timeoutMs: 60_000 })
    class ReportController {
      @Get()
      @RequestLimits({ maxBodyBytes: 1024, maxDepth: 2 })
      report(): void {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [ValidationModule.forRoot({})],
      controllers: [ReportController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await app.close();
  });
});

describe('useRequestLimits', () => {
  @Module({})
  class EmptyModule {}

  it("reads the module's options", async () => {
    @Module({ imports: [ValidationModule.forRoot({ headersTimeoutMs: 12_345 })] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    useRequestLimits(app);
    expect((app.getHttpServer() as Server).headersTimeout).toBe(12_345);
    await app.close();
  });

  it('falls back to the defaults without the module, without ending the process (abortOnError)', async () => {
    const app = await NestFactory.create(EmptyModule, { logger: false });
    useRequestLimits(app);
    expect((app.getHttpServer() as Server).headersTimeout).toBe(10_000);
    await app.close();
  });
});
