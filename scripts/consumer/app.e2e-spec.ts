// The e2e test a consumer project runs against the packed packages (scripts/check-packages.mjs),
// under Jest (Nest 11, CommonJS, the config `nest new` writes plus Rampart's preset) and Vitest.
// Test-runner globals only, so the same file runs under both; @rampart/testing mints the tokens
// and asserts the problems under either runner.
import { Controller, Get, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AuthModule, Public } from '@rampart/auth';
import { MemoryStore, RampartCoreModule } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { RateLimitModule } from '@rampart/rate-limit';
import {
  createTestTokens,
  describeStoreContract,
  expectProblem,
  testingAuthOptions,
  type TestTokens,
} from '@rampart/testing';
import { ThreatModule } from '@rampart/threat';
import request from 'supertest';

@Controller()
class AppController {
  @Get('notes')
  notes(): unknown[] {
    return [];
  }

  @Public()
  @Get('ping')
  ping(): { ok: boolean } {
    return { ok: true };
  }
}

@Module({})
class AppModule {
  static forRoot(tokens: TestTokens): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RampartCoreModule.forRoot({
          store: {
            type: 'redis',
            url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
            keyPrefix: `consumer:${Date.now()}:`,
          },
        }),
        ErrorsModule.forRoot({}),
        ThreatModule.forRoot({ mode: 'block' }),
        // Production verifies the issuer's JWKS; the test trusts the kit's key instead.
        AuthModule.forRoot(
          testingAuthOptions(tokens, {
            jwt: { issuer: 'https://issuer.test', audience: 'https://api.test', jwksUrl: 'https://issuer.test/jwks' },
          }),
        ),
        RateLimitModule.forRoot({ defaultPolicy: { key: 'ip', tiers: [{ name: 'minute', limit: 8, window: '1m' }] } }),
      ],
      controllers: [AppController],
    };
  }
}

let app: INestApplication;
let tokens: TestTokens;

beforeAll(async () => {
  tokens = await createTestTokens();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(tokens)] }).compile();
  app = moduleRef.createNestApplication();
  await app.init();
});

afterAll(async () => {
  await app.close();
});

it('refuses a request without a token with a 401 problem', async () => {
  const res = await request(app.getHttpServer()).get('/notes');
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
});

it('accepts a token of the test kit and refuses its forgeries', async () => {
  expect(
    (
      await request(app.getHttpServer())
        .get('/notes')
        .set(await tokens.bearer('alice'))
    ).status,
  ).toBe(200);
  for (const forged of [await tokens.expired('alice'), tokens.algNone('alice')]) {
    expectProblem(await request(app.getHttpServer()).get('/notes').auth(forged, { type: 'bearer' }), 'UNAUTHORIZED');
  }
});

it('refuses an injection with a 403 problem', async () => {
  const res = await request(app.getHttpServer()).get('/ping').query({ q: "1' OR '1'='1' --" });
  expect(res.status).toBe(403);
  expect(res.body.code).toBe('THREAT_DETECTED');
});

it('limits a client on Redis with a 429 problem', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push((await request(app.getHttpServer()).get('/ping')).status);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  expect(statuses.slice(0, statuses.indexOf(429)).every((s) => s === 200)).toBe(true);
});

// The Store contract a custom store must pass, registered with this runner's own functions.
describeStoreContract({ describe, it, expect, beforeAll, afterAll }, 'MemoryStore', async () => new MemoryStore());
