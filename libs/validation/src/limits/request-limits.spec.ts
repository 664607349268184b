import { Body, Controller, Module, Post, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { ErrorsModule } from '@rampart/errors';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRequestLimits } from './request-limits';

@Controller('echo')
class EchoController {
  @Post()
  echo(@Body() body: unknown): unknown {
    return { body, prototype: body === null || typeof body !== 'object' ? null : Object.getPrototypeOf(body) === null };
  }
}

@Module({ imports: [ErrorsModule.forRoot({})], controllers: [EchoController] })
class EchoModule {}

describe.each(['express', 'fastify'] as const)('useRequestLimits body parsing (%s)', (platform) => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [EchoModule] }).compile();
    app = moduleRef.createNestApplication(platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
      logger: false,
    });
    useRequestLimits(app, {
      mediaTypes: ['application/json', 'application/merge-patch+json', 'application/x-www-form-urlencoded'],
      maxKeys: 3,
    });
    await app.init();
    if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  });
  afterAll(() => app.close());

  it('parses +json media types with the same limits', async () => {
    const ok = await request(app.getHttpServer())
      .post('/echo')
      .set('Content-Type', 'application/merge-patch+json')
      .send('{"a":1}');
    expect(ok.body.body).toEqual({ a: 1 });
    const poisoned = await request(app.getHttpServer())
      .post('/echo')
      .set('Content-Type', 'application/merge-patch+json')
      .send('{"__proto__":{"x":1}}');
    expect(poisoned.status).toBe(400);
  });

  it('parses forms flat, into a null-prototype object, within the key limit', async () => {
    const ok = await request(app.getHttpServer()).post('/echo').type('form').send('a=1&a=2&b[c][d]=3');
    expect(ok.body).toEqual({ body: { a: ['1', '2'], 'b[c][d]': '3' }, prototype: true });
    const tooMany = await request(app.getHttpServer()).post('/echo').type('form').send('a=1&b=2&c=3&d=4');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.code).toBe('VALIDATION_ERROR');
  });

  it('still refuses other media types', async () => {
    const res = await request(app.getHttpServer()).post('/echo').set('Content-Type', 'application/xml').send('<a/>');
    expect(res.status).toBe(415);
  });
});
