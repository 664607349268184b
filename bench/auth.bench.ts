// Cost of the auth guard on one route: bare (@Public) vs a JWT access token (verification cached
// and not) vs an API key.  Run: flock /tmp/bench.lock node bench/run.mjs bench/auth.bench.ts
import { Controller, Get, Module, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Auth, AuthModule, hashApiKey, MemoryApiKeyStorage, Public } from '@rampart/auth';
import { RampartCoreModule, useRequestContext } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_PUBLIC_KEY, benchToken } from './utils/bench-token';
import { compare, printTable, type BenchCases } from './utils/harness';

const API_KEY = `rk_0123456789abcdef_${'k'.repeat(43)}`;

@Controller('bench')
@Public()
class PublicController {
  @Get()
  get(): { ok: true } {
    return { ok: true };
  }
}

@Controller('bench')
class JwtController {
  @Get()
  get(): { ok: true } {
    return { ok: true };
  }
}

@Controller('bench')
@Auth('apiKey')
class ApiKeyController {
  @Get()
  get(): { ok: true } {
    return { ok: true };
  }
}

async function appWith(controller: Type, cache: boolean) {
  const storage = new MemoryApiKeyStorage();
  await storage.insert({
    id: '0123456789abcdef',
    name: 'bench',
    scopes: ['bench'],
    createdAt: Date.now(),
    hash: hashApiKey(API_KEY),
  });
  const auth: DynamicModule = AuthModule.forRoot({
    jwt: {
      issuer: BENCH_ISSUER,
      audience: BENCH_AUDIENCE,
      keys: [BENCH_PUBLIC_KEY],
      ...(cache ? {} : { cache: false }),
    },
    apiKeys: { storage },
  });
  @Module({
    imports: [RampartCoreModule.forRoot({ logEvents: false }), ErrorsModule.forRoot({}), auth],
    controllers: [controller],
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false });
  useRequestContext(app);
  return app;
}

export const cases: BenchCases = {
  'bare route (@Public)': () => appWith(PublicController, true),
  'JWT guard, verification cached': () => appWith(JwtController, true),
  'JWT guard, no cache (ES256 verify per request)': () => appWith(JwtController, false),
  'API-key guard (SHA-256 + constant-time compare)': () => appWith(ApiKeyController, true),
};

async function main(): Promise<void> {
  const token = await benchToken();
  printTable(
    'Auth: GET /bench, 50 connections, medians of 5 × 5 s',
    await compare(__filename, Object.keys(cases), {
      path: '/bench',
      headers: { authorization: `Bearer ${token}`, 'x-api-key': API_KEY },
    }),
  );
}

if (require.main === module) void main();
