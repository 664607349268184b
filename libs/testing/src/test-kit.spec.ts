import { Controller, Get, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Auth, Public, Scopes } from '@rampart/auth';
import { RampartModule, useRampart } from '@rampart/nest';
import { AssertionError } from 'node:assert';
import type { Server } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, expectSecurityHeaders } from './assertions';
import { withRampartTesting } from './rampart-testing';
import { createTestTokens, type TestTokens } from './test-tokens';

@Controller()
class KitController {
  @Get('notes')
  @Scopes('notes:read')
  notes(): { notes: string[] } {
    return { notes: [] };
  }

  @Get('partner')
  @Auth('apiKey')
  partner(): { ok: true } {
    return { ok: true };
  }

  @Get('ping')
  @Public()
  ping(): { ok: true } {
    return { ok: true };
  }
}

describe.each(['express', 'fastify'] as const)('test kit against a Rampart app (%s)', (platform) => {
  let app: INestApplication;
  let server: Server;
  let tokens: TestTokens;
  beforeAll(async () => {
    tokens = await createTestTokens({ defaultScope: 'notes:read' });
    const options = withRampartTesting(
      {
        core: {},
        errors: {},
        // The app's production configuration verifies a remote JWKS: the kit replaces it by its key.
        auth: {
          jwt: { issuer: 'https://idp.example', audience: 'https://api.example', jwksUrl: 'https://idp.example/jwks' },
        },
        rateLimit: { defaultPolicy: { key: 'ip', tiers: [{ name: 'minute', limit: 2, window: '1m' }] } },
        threat: { mode: 'block' },
      },
      { tokens, rateLimit: 'relaxed' },
    );
    const moduleRef = await Test.createTestingModule({
      imports: [RampartModule.forRoot(options)],
      controllers: [KitController],
    }).compile();
    app = moduleRef.createNestApplication(platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
      logger: false,
    });
    useRampart(app);
    await app.init();
    if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
    server = app.getHttpServer() as Server;
  });
  afterAll(() => app.close());

  it('mints user and client tokens the app trusts (and relaxed limits let a suite run)', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await request(server)
        .get('/notes')
        .set(await tokens.bearer('alice'));
      expect(res.status).toBe(200);
      expectSecurityHeaders(res);
    }
    const client = await tokens.client('billing-service', { scope: 'notes:read' });
    expect((await request(server).get('/notes').auth(client, { type: 'bearer' })).status).toBe(200);
  });

  it('mints tokens the app refuses: expired, wrong audience or issuer, foreign key, alg none', async () => {
    for (const token of [
      await tokens.expired('alice'),
      await tokens.wrongAudience('alice'),
      await tokens.wrongIssuer('alice'),
      await tokens.foreignKey('alice'),
      tokens.algNone('alice'),
    ]) {
      expectProblem(await request(server).get('/notes').auth(token, { type: 'bearer' }), 'UNAUTHORIZED');
    }
  });

  it('asserts the missing scope as a 403 problem', async () => {
    const res = await request(server)
      .get('/notes')
      .set(await tokens.bearer('alice', { scope: 'profile' }));
    expectProblem(res, { status: 403, code: 'FORBIDDEN' });
  });

  it('creates an API key in the app', async () => {
    const key = await tokens.apiKey(app, { scopes: [] });
    expect((await request(server).get('/partner').set('x-api-key', key)).status).toBe(200);
    expectProblem(await request(server).get('/partner').set('x-api-key', `${key}x`), 401);
  });

  it('fails an assertion with an AssertionError, whatever the runner', async () => {
    const ok = await request(server).get('/ping');
    expect(() => expectProblem(ok, 401)).toThrow(AssertionError);
    const missing = await request(server).get('/nope');
    expectProblem(missing, 404);
    expect(() => expectProblem(missing, 'UNAUTHORIZED')).toThrow(/Expected problem code 'UNAUTHORIZED'/);
    const bare = { status: 200, headers: { 'content-type': 'application/json', 'x-powered-by': 'Express' } };
    expect(() => expectSecurityHeaders(bare)).toThrow(AssertionError);
    expect(() => expectProblem({ status: 500, headers: bare.headers, body: {} }, 500)).toThrow(/problem\+json/);
    const leaking = {
      status: 500,
      headers: { 'content-type': 'application/problem+json' },
      body: { type: 'about:blank', title: 'x', status: 500, detail: 'at Db.query (/srv/app/db.ts:12:7)' },
    };
    expect(() => expectProblem(leaking, 500)).toThrow(/stack trace/);
  });
});
