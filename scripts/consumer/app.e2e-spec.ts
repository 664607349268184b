// The e2e test a consumer project runs against the packed packages (scripts/check-packages.mjs),
// under Jest (Nest 11, CommonJS, the config `nest new` writes plus Rampart's preset) and Vitest.
// Test-runner globals only, so the same file runs under both.
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AuthModule, Public } from '@rampart/auth';
import { RampartCoreModule } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { RateLimitModule } from '@rampart/rate-limit';
import { ThreatModule } from '@rampart/threat';
import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'consumer', alg: 'ES256', use: 'sig' };

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

@Module({
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
    AuthModule.forRoot({ jwt: { issuer: 'https://issuer.test', audience: 'https://api.test', keys: [jwk] } }),
    RateLimitModule.forRoot({ defaultPolicy: { key: 'ip', tiers: [{ name: 'minute', limit: 5, window: '1m' }] } }),
  ],
  controllers: [AppController],
})
class AppModule {}

let app: INestApplication;

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
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

it('refuses an injection with a 403 problem', async () => {
  const res = await request(app.getHttpServer()).get('/ping').query({ q: "1' OR '1'='1' --" });
  expect(res.status).toBe(403);
  expect(res.body.code).toBe('THREAT_DETECTED');
});

it('limits a client on Redis with a 429 problem', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await request(app.getHttpServer()).get('/ping')).status);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  expect(statuses.slice(0, statuses.indexOf(429)).every((s) => s === 200)).toBe(true);
});
