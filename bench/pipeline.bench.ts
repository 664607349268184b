// The whole request pipeline, side by side, on Express AND Fastify: bare Nest; the stack users
// build today (helmet + ValidationPipe + @nestjs/jwt ES256 + @nestjs/throttler ×3 on Redis);
// Rampart's whole pipeline (request context, errors, headers, request limits, threat block,
// JWT with its verification cache, 3 rate-limit tiers, the validation pipe) installed through
// RampartModule.forRoot + useRampart on Redis, on memory, on a Redis Cluster, and on Redis with a
// different token on every request (cache misses); and the same libs installed separately (each
// lib's Module + use* function, as wave-1 users did: #11 asks the whole to cost no more). Floors:
// bare Nest plus only one Redis round trip per request, only the ValidationPipe, or both — what
// the parts every exact, shared, validating pipeline pays cost by themselves — and plus only one
// wait for the event loop's next turn, which does no work (what answering in batches does here).
// Mixed traffic: a POST with a nested DTO and a GET, an ES256 bearer token on every request.
// Each case is checked to enforce (401 without a token, 400 for a bad body, 403 for an injection)
// before it is timed.
// Run: npm run redis:cluster && flock /tmp/bench.lock npm run bench -- bench/pipeline.bench.ts
// (REDIS_URL and REDIS_CLUSTER_NODES as for the tests; BENCH_ROUNDS, BENCH_SECONDS to shorten;
// BENCH_CASES='fastify: Rampart whole pipeline, memory' to run some cases only; BENCH_CPU_PROF=<dir>
// to write each server's CPU profile there, then `node bench/utils/cpu-profile-summary.mjs <file>
// --us-per-req <the case's CPU µs/req>` splits it into µs per request per component).
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import {
  Body,
  CanActivate,
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  Post,
  UnauthorizedException,
  ValidationPipe,
  type DynamicModule,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { AuthModule } from '@rampart/auth';
import { RampartCoreModule, useRequestContext, type RampartCoreOptions } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { useSecurityHeaders } from '@rampart/headers';
import { RampartModule, useRampart } from '@rampart/nest';
import { RateLimitModule, type RateLimitTier } from '@rampart/rate-limit';
import { ThreatModule, useThreatDetection } from '@rampart/threat';
import { useRequestLimits, ValidationModule } from '@rampart/validation';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import type autocannon from 'autocannon';
import helmet from 'helmet';
import { Redis } from 'ioredis';
import { createPublicKey, randomUUID } from 'node:crypto';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_PUBLIC_KEY, benchToken } from './utils/bench-token';
import { compare, type CaseResult, type BenchCases, type LoadOptions } from './utils/harness';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLUSTER_NODES = (process.env.REDIS_CLUSTER_NODES ?? '127.0.0.1:7100').split(',').map((node) => {
  const [host = '127.0.0.1', port = '7100'] = node.split(':');
  return { host, port: Number(port) };
});
/** Big limits: nothing is denied while throughput is measured (every request comes from one IP). */
const BIG = 1_000_000_000;
const TIERS: RateLimitTier[] = [
  { name: 'minute', limit: BIG, window: '1m' },
  { name: 'hour', limit: BIG, window: '1h' },
  { name: 'day', limit: BIG, window: '1d' },
];
/** More tokens than the JWT verification cache holds (10 000), used in turn: every request misses. */
const MISS_TOKENS = 20_000;

class AddressDto {
  @IsString() @MaxLength(100) street!: string;
  @IsString() @MaxLength(60) city!: string;
}

class CreateItemDto {
  @IsString() @MaxLength(100) name!: string;
  @IsInt() @Min(0) @Max(1000) quantity!: number;
  @ValidateNested() @Type(() => AddressDto) address!: AddressDto;
  @IsArray() @ArrayMaxSize(10) @IsString({ each: true }) @MaxLength(30, { each: true }) tags!: string[];
}

@Controller('items')
class ItemsController {
  @Post()
  create(@Body() item: CreateItemDto): { id: number; name: string } {
    return { id: 1, name: item.name };
  }

  @Get(':id')
  find(@Param('id') id: string): { id: string; name: string } {
    return { id, name: 'item' };
  }
}

/** What users write today with @nestjs/jwt: verify the bearer token on every request. */
@Injectable()
class JwtAuthGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>()
      .headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new UnauthorizedException();
    try {
      await this.jwt.verifyAsync(header.slice(7));
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

type Platform = 'express' | 'fastify';

async function create(module: DynamicModule, platform: Platform): Promise<INestApplication> {
  return platform === 'fastify'
    ? NestFactory.create(module, new FastifyAdapter(), { logger: false })
    : NestFactory.create(module, { logger: false });
}

@Module({})
class BenchModule {}

function bare(platform: Platform): Promise<INestApplication> {
  return create({ module: BenchModule, controllers: [ItemsController] }, platform);
}

/**
 * Floors: bare Nest plus one thing the whole pipeline must do on every request, and nothing else,
 * to show what that alone costs against bare. A limit shared by several instances and exact
 * (#18's exactness test) needs one Redis round trip per request; the cheapest is an INCR, through
 * ioredis set as Rampart sets it (auto-pipelining). The wait floor does no work at all: its guard
 * waits for one `setImmediate`, so each request is answered in a later turn of the event loop, in a
 * batch with the others read in the same turn, as a request that awaits Redis is. It measures
 * what that scheduling alone does to a case on this host (autocannon, Redis and the server share
 * its two cores).
 */
async function bareWith(
  platform: Platform,
  parts: { roundTrip?: boolean; validation?: boolean; wait?: boolean },
): Promise<INestApplication> {
  const providers = [];
  if (parts.wait) {
    const oneWait: CanActivate = { canActivate: () => new Promise<boolean>((resolve) => setImmediate(resolve, true)) };
    providers.push({ provide: APP_GUARD, useValue: oneWait });
  }
  if (parts.roundTrip) {
    const redis = new Redis(REDIS_URL, { enableAutoPipelining: true });
    const key = `bench:${randomUUID()}:floor`;
    // INCR keeps an existing key's expiry: the key goes away on its own, at no cost per request.
    await redis.set(key, 0, 'EX', 3600);
    const oneRoundTrip: CanActivate = { canActivate: async () => (await redis.incr(key)) > 0 };
    providers.push({ provide: APP_GUARD, useValue: oneRoundTrip });
  }
  const app = await create({ module: BenchModule, controllers: [ItemsController], providers }, platform);
  if (parts.validation) {
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  }
  return app;
}

async function usualStack(platform: Platform): Promise<INestApplication> {
  const publicKey = createPublicKey({ key: BENCH_PUBLIC_KEY, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const app = await create(
    {
      module: BenchModule,
      imports: [
        JwtModule.register({
          publicKey: publicKey.toString(),
          verifyOptions: { algorithms: ['ES256'], issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE },
        }),
        ThrottlerModule.forRoot({
          throttlers: TIERS.map((t, i) => ({ name: t.name, limit: BIG, ttl: [60_000, 3_600_000, 86_400_000][i]! })),
          storage: new ThrottlerStorageRedisService(REDIS_URL),
        }),
      ],
      controllers: [ItemsController],
      providers: [
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: ThrottlerGuard },
      ],
    },
    platform,
  );
  app.use(helmet());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  return app;
}

/** The options both Rampart installs share: the same libs, the same settings. */
function rampartParts(store: RampartCoreOptions['store']) {
  return {
    core: { store, logEvents: false },
    errors: {},
    // The behaviour signals count per IP, and every request of the benchmark comes from one.
    threat: { mode: 'block' as const, behaviour: { requestRate: { limit: BIG } } },
    auth: { jwt: { issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE, keys: [BENCH_PUBLIC_KEY] } },
    validation: {},
    rateLimit: { keyPrefix: `bench:${randomUUID()}:`, defaultPolicy: { key: 'ip' as const, tiers: TIERS } },
  };
}

/** Rampart's one entry point: `RampartModule.forRoot()` + `useRampart(app)`. */
async function rampart(platform: Platform, store: RampartCoreOptions['store']): Promise<INestApplication> {
  const app = await create(
    { module: BenchModule, imports: [RampartModule.forRoot(rampartParts(store))], controllers: [ItemsController] },
    platform,
  );
  useRampart(app);
  return app;
}

/** The same libs installed one by one, each with its own module and use*() function, as wave-1 users did (#11). */
async function rampartSeparately(platform: Platform, store: RampartCoreOptions['store']): Promise<INestApplication> {
  const parts = rampartParts(store);
  const app = await create(
    {
      module: BenchModule,
      imports: [
        RampartCoreModule.forRoot(parts.core),
        ErrorsModule.forRoot(parts.errors),
        ThreatModule.forRoot(parts.threat),
        AuthModule.forRoot(parts.auth),
        ValidationModule.forRoot(parts.validation),
        RateLimitModule.forRoot(parts.rateLimit),
      ],
      controllers: [ItemsController],
    },
    platform,
  );
  useRequestContext(app);
  useSecurityHeaders(app);
  useThreatDetection(app);
  useRequestLimits(app);
  return app;
}

const redis = { type: 'redis' as const, url: REDIS_URL, keyPrefix: `bench:${randomUUID()}:` };
const cluster = { type: 'redis' as const, cluster: { nodes: CLUSTER_NODES }, keyPrefix: `bench:${randomUUID()}:` };
const PLATFORMS: Platform[] = ['express', 'fastify'];
const BARE = 'bare Nest';
const USUAL = 'usual stack (helmet, ValidationPipe, @nestjs/jwt, throttler ×3 on Redis)';
const WHOLE = 'Rampart whole pipeline (RampartModule.forRoot + useRampart), Redis';
const SEPARATE = 'Rampart, the same libs installed separately (each Module + use*), Redis';
const MISSES = 'Rampart whole pipeline, Redis, token cache misses';
const FLOOR = 'floor:';
const VARIANTS = {
  [BARE]: bare,
  [`${FLOOR} bare Nest + one setImmediate wait per request (no work)`]: (p: Platform) => bareWith(p, { wait: true }),
  [`${FLOOR} bare Nest + one Redis INCR per request`]: (p: Platform) => bareWith(p, { roundTrip: true }),
  [`${FLOOR} bare Nest + ValidationPipe (class-validator)`]: (p: Platform) => bareWith(p, { validation: true }),
  [`${FLOOR} bare Nest + one Redis INCR + ValidationPipe`]: (p: Platform) =>
    bareWith(p, { roundTrip: true, validation: true }),
  [USUAL]: usualStack,
  [WHOLE]: (p: Platform) => rampart(p, redis),
  [SEPARATE]: (p: Platform) => rampartSeparately(p, redis),
  'Rampart whole pipeline, memory': (p: Platform) => rampart(p, { type: 'memory' }),
  'Rampart whole pipeline, Redis Cluster': (p: Platform) => rampart(p, cluster),
  [MISSES]: (p: Platform) => rampart(p, redis),
} satisfies Record<string, (platform: Platform) => Promise<INestApplication>>;
const name = (variant: string, platform: Platform): string => `${platform}: ${variant}`;

export const cases: BenchCases = Object.fromEntries(
  PLATFORMS.flatMap((platform) =>
    Object.entries(VARIANTS).map(([variant, start]) => [name(variant, platform), () => start(platform)]),
  ),
);

const ITEM = { name: 'widget', quantity: 3, address: { street: '1 Main St', city: 'Springfield' }, tags: ['a', 'b'] };

/** Refuses to time a case that does not do its job. */
async function checkEnforces(url: string, caseName: string, bearer: string): Promise<void> {
  const call = async (method: string, path: string, body?: unknown, auth = true): Promise<number> => {
    const response = await fetch(url + path, {
      method,
      headers: { ...(auth ? { authorization: `Bearer ${bearer}` } : {}), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  };
  const expectStatus = (what: string, actual: number, expected: number): void => {
    if (actual !== expected) throw new Error(`${caseName}: ${what} answered ${actual}, expected ${expected}`);
  };
  expectStatus('POST /items', await call('POST', '/items', ITEM), 201);
  expectStatus('GET /items/42', await call('GET', '/items/42'), 200);
  if (caseName.endsWith(`: ${BARE}`)) return;
  if (caseName.includes(FLOOR)) {
    // A floor does one part of the work only: with the pipe, a bad body is refused.
    if (caseName.includes('ValidationPipe')) {
      expectStatus('POST with a bad body', await call('POST', '/items', { ...ITEM, quantity: 'many' }), 400);
    }
    return;
  }
  expectStatus('GET without a token', await call('GET', '/items/42', undefined, false), 401);
  expectStatus('POST with a bad body', await call('POST', '/items', { ...ITEM, quantity: 'many' }), 400);
  if (caseName.includes('usual stack')) return;
  const injection = encodeURIComponent("1' UNION SELECT password FROM users --");
  expectStatus('GET with an SQL injection', await call('GET', `/items/42?q=${injection}`), 403);
}

async function main(): Promise<void> {
  const bearer = await benchToken('bench-user');
  console.log(`signing ${MISS_TOKENS} tokens for the cache-miss case…`);
  const missTokens: string[] = [];
  for (let i = 0; i < MISS_TOKENS; i++) missTokens.push(await benchToken(`user-${i}`));
  let next = 0;
  const body = JSON.stringify(ITEM);
  const mixed = (perRequestToken: boolean): LoadOptions['requests'] =>
    (['POST', 'GET'] as const).map((method): autocannon.Request => ({
      method,
      path: method === 'POST' ? '/items' : '/items/42',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      ...(method === 'POST' ? { body } : {}),
      ...(perRequestToken
        ? {
            setupRequest: (request: autocannon.Request): autocannon.Request => ({
              ...request,
              headers: { ...request.headers, authorization: `Bearer ${missTokens[next++ % MISS_TOKENS]!}` },
            }),
          }
        : {}),
    }));
  // BENCH_CASES='fastify: Rampart whole pipeline, memory|…': only the cases whose name contains one of these.
  const only = process.env.BENCH_CASES?.split('|');
  const names = Object.keys(cases).filter((caseName) => !only || only.some((part) => caseName.includes(part)));
  const results = await compare(__filename, names, {
    path: '/items/42',
    requests: mixed(false),
    rounds: Number(process.env.BENCH_ROUNDS ?? 5),
    durationSeconds: Number(process.env.BENCH_SECONDS ?? 5),
    check: (url, caseName) => checkEnforces(url, caseName, bearer),
    loadFor: (caseName) => (caseName.includes('cache misses') ? { requests: mixed(true) } : {}),
  });
  printByPlatform(results);
}

/**
 * One table per platform: req/s, p99 and the server's CPU per request, with ratios to bare Nest
 * and to the usual stack on the same platform; then the figures #11 asks for, in one place.
 */
function printByPlatform(results: CaseResult[]): void {
  const summary: string[] = [];
  for (const platform of PLATFORMS) {
    const rows = results.filter((r) => r.name.startsWith(`${platform}: `));
    const find = (variant: string): CaseResult | undefined => rows.find((r) => r.name === name(variant, platform));
    const bareRps = find(BARE)?.requestsPerSecond ?? NaN;
    const usual = find(USUAL);
    const usualRps = usual?.requestsPerSecond ?? NaN;
    console.log(`\n### ${platform}: mixed POST (nested DTO) + GET, ES256 bearer token, 50 connections\n`);
    console.log('| case | req/s | p99 (ms) | × bare | × usual stack | CPU µs/req | non-2xx |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      const variant = r.name.slice(platform.length + 2);
      console.log(
        `| ${variant} | ${r.requestsPerSecond.toFixed(0)} | ${r.p99Ms.toFixed(1)} | ${(r.requestsPerSecond / bareRps).toFixed(2)} | ${(r.requestsPerSecond / usualRps).toFixed(2)} | ${r.cpuMicrosPerRequest.toFixed(0)} | ${r.non2xx} |`,
      );
    }
    const whole = find(WHOLE);
    const separate = find(SEPARATE);
    const misses = find(MISSES);
    const ratio = (a: CaseResult | undefined, b: CaseResult | undefined): string =>
      a && b ? (a.requestsPerSecond / b.requestsPerSecond).toFixed(2) : 'n/a';
    const p99 = (r: CaseResult | undefined): string => (r ? `${r.p99Ms.toFixed(1)} ms` : 'n/a');
    summary.push(
      `${platform}: whole pipeline ${ratio(whole, find(BARE))}× bare, ${ratio(whole, usual)}× usual stack` +
        ` (p99 ${p99(whole)} vs ${p99(usual)}); cache misses ${ratio(misses, usual)}× usual stack` +
        ` (p99 ${p99(misses)}); RampartModule.forRoot vs the same libs installed separately` +
        ` ${ratio(whole, separate)}× (p99 ${p99(whole)} vs ${p99(separate)})`,
    );
  }
  console.log(`\n### Ratios (#11)\n\n${summary.map((line) => `- ${line}`).join('\n')}`);
}

if (require.main === module) void main();
