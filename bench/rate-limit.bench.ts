// Rampart's rate limiter against a bare route and the usual alternatives, side by side, plus the
// admission exactness and the window-boundary behaviour of each. Needs Redis at REDIS_URL
// (default redis://127.0.0.1:6379). Run:
//   flock /tmp/bench.lock node bench/run.mjs bench/rate-limit.bench.ts
// (BENCH_SKIP_DECISION_COST=1, BENCH_SKIP_THROUGHPUT=1, BENCH_SKIP_EXACTNESS=1 each skip a part)
import {
  Controller,
  Get,
  Injectable,
  Module,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { ThrottlerGuard, ThrottlerModule, ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { RampartCoreModule, RedisStore, getRequestContext } from '@rampart/core';
import {
  RateLimitModule,
  StoreRateLimitStorage,
  type RateLimitAlgorithm,
  type RateLimitTier,
  type ResolvedTier,
} from '@rampart/rate-limit';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterRedis, RateLimiterUnion, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { compare, printTable, type BenchCases } from './utils/harness';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Big limits: nothing is denied while throughput is measured. */
const BIG = 1_000_000_000;
const TIERS: RateLimitTier[] = [
  { name: 'minute', limit: BIG, window: '1m' },
  { name: 'hour', limit: BIG, window: '1h' },
  { name: 'day', limit: BIG, window: '1d' },
];
const THROTTLERS = [
  { name: 'minute', ttl: 60_000, limit: BIG },
  { name: 'hour', ttl: 3_600_000, limit: BIG },
  { name: 'day', ttl: 86_400_000, limit: BIG },
];
const prefix = (): string => `bench:${randomUUID()}:`;

@Controller('r')
class RouteController {
  @Get()
  get(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [RouteController] })
class BareModule {}

function rampart(tiers: RateLimitTier[], redis: boolean): DynamicModule {
  return {
    module: BareModule,
    imports: [
      RampartCoreModule.forRoot({
        store: redis ? { type: 'redis', url: REDIS_URL, keyPrefix: prefix() } : { type: 'memory' },
        logEvents: false,
      }),
      RateLimitModule.forRoot({ defaultPolicy: { key: 'ip', tiers } }),
    ],
  };
}

/**
 * Controls that split the in-memory cost: core's request context alone (what every Rampart case
 * pays before the limiter runs), and the limiter without core (its own guard, key and decision).
 */
function coreOnly(): DynamicModule {
  return { module: BareModule, imports: [RampartCoreModule.forRoot({ store: { type: 'memory' }, logEvents: false })] };
}

function limiterWithoutCore(tiers: RateLimitTier[]): DynamicModule {
  return {
    module: BareModule,
    imports: [RateLimitModule.forRoot({ store: 'memory', defaultPolicy: { key: 'ip', tiers } })],
  };
}

function throttler(count: 1 | 3, storage?: ThrottlerStorage): DynamicModule {
  return {
    module: BareModule,
    imports: [ThrottlerModule.forRoot({ throttlers: THROTTLERS.slice(0, count), ...(storage ? { storage } : {}) })],
    providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
  };
}

/** rate-limiter-flexible as its docs show it in Nest: a guard that consumes a point per request. */
function flexible(count: 1 | 3): DynamicModule {
  const client = new Redis(REDIS_URL, { enableOfflineQueue: false });
  const keyPrefix = prefix();
  const limiters = [60, 3_600, 86_400]
    .slice(0, count)
    .map(
      (duration) =>
        new RateLimiterRedis({ storeClient: client, keyPrefix: `${keyPrefix}${duration}`, points: BIG, duration }),
    );
  const limiter: RateLimiterAbstract | RateLimiterUnion =
    count === 1 ? limiters[0]! : new RateLimiterUnion(...limiters);
  @Injectable()
  class FlexibleGuard implements CanActivate {
    async canActivate(context: ExecutionContext): Promise<boolean> {
      await limiter.consume(getRequestContext(context.switchToHttp().getRequest<object>()).clientIp);
      return true;
    }
  }
  return { module: BareModule, providers: [{ provide: APP_GUARD, useClass: FlexibleGuard }] };
}

/** Modules are built when a case starts: each case runs in a child process of its own. */
const create = (module: () => DynamicModule | typeof BareModule) => (): Promise<INestApplication> =>
  NestFactory.create(module(), { logger: false });

export const cases: BenchCases = {
  'bare route': create(() => BareModule),
  'Rampart, 1 tier, Redis': create(() => rampart(TIERS.slice(0, 1), true)),
  'Rampart, 3 tiers, Redis': create(() => rampart(TIERS, true)),
  'Rampart, 1 tier, memory': create(() => rampart(TIERS.slice(0, 1), false)),
  'Rampart, 3 tiers, memory': create(() => rampart(TIERS, false)),
  'Rampart core only, no limiter': create(coreOnly),
  'Rampart, 3 tiers, memory, without core': create(() => limiterWithoutCore(TIERS)),
  '@nestjs/throttler + storage-redis, 1': create(() => throttler(1, new ThrottlerStorageRedisService(REDIS_URL))),
  '@nestjs/throttler + storage-redis, 3': create(() => throttler(3, new ThrottlerStorageRedisService(REDIS_URL))),
  '@nestjs/throttler memory, 3': create(() => throttler(3)),
  'rate-limiter-flexible Redis, 1': create(() => flexible(1)),
  'rate-limiter-flexible Redis, 3 (union)': create(() => flexible(3)),
};

/** One admission decision of a limiter, as two instances would take it (two clients, one Redis). */
type Decide = (instance: 0 | 1, key: string) => Promise<boolean>;
interface Contender {
  name: string;
  shared: boolean;
  make(limit: number, windowMs: number): Promise<{ decide: Decide; close(): Promise<void> }>;
}

function rampartContender(algorithm: RateLimitAlgorithm): Contender {
  return {
    name: `Rampart ${algorithm} (Redis)`,
    shared: true,
    async make(limit, windowMs) {
      const keyPrefix = prefix();
      const stores = [
        await RedisStore.create({ url: REDIS_URL, keyPrefix }),
        await RedisStore.create({ url: REDIS_URL, keyPrefix }),
      ];
      const storages = stores.map((store) => new StoreRateLimitStorage(store));
      const tiers: ResolvedTier[] = [{ name: 'w', limit, windowMs, blockForMs: 0, algorithm }];
      return {
        decide: async (i, key) => (await storages[i]!.decide(key, tiers, 1)).admitted,
        close: async () => {
          await Promise.all(stores.map((store) => store.close()));
        },
      };
    },
  };
}

function throttlerContender(name: string, shared: boolean, storage: () => ThrottlerStorage[]): Contender {
  return {
    name,
    shared,
    async make(limit, windowMs) {
      const storages = storage();
      const keyPrefix = prefix();
      return {
        // ttl = blockDuration, as ThrottlerGuard passes them by default.
        decide: async (i, key) =>
          !(await storages[i]!.increment(keyPrefix + key, windowMs, limit, windowMs, 'default')).isBlocked,
        close: async () => {
          for (const s of storages) (s as Partial<ThrottlerStorageRedisService>).onModuleDestroy?.();
          for (const s of storages) (s as Partial<ThrottlerStorageService>).onApplicationShutdown?.();
        },
      };
    },
  };
}

const flexibleContender: Contender = {
  name: 'rate-limiter-flexible (Redis)',
  shared: true,
  async make(limit, windowMs) {
    const clients = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const keyPrefix = prefix();
    const limiters = clients.map(
      (storeClient) => new RateLimiterRedis({ storeClient, keyPrefix, points: limit, duration: windowMs / 1000 }),
    );
    return {
      decide: (i, key) =>
        limiters[i]!.consume(key).then(
          () => true,
          () => false,
        ),
      close: async () => {
        await Promise.all(clients.map((c) => c.quit()));
      },
    };
  },
};

const CONTENDERS: Contender[] = [
  rampartContender('sliding-log'),
  rampartContender('sliding-window'),
  rampartContender('token-bucket'),
  throttlerContender('@nestjs/throttler + storage-redis', true, () => [
    new ThrottlerStorageRedisService(REDIS_URL),
    new ThrottlerStorageRedisService(REDIS_URL),
  ]),
  throttlerContender('@nestjs/throttler memory (one instance)', false, () => {
    const one = new ThrottlerStorageService();
    return [one, one];
  }),
  flexibleContender,
];

/** Limit 100 per 60 s, 1000 concurrent decisions for one key split across two instances. */
async function exactness(contender: Contender): Promise<number> {
  const limiter = await contender.make(100, 60_000);
  try {
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => limiter.decide((i % 2) as 0 | 1, 'exact')),
    );
    return results.filter(Boolean).length;
  } finally {
    await limiter.close();
  }
}

/**
 * Limit 100 per 2 s. One request at a window start (which also starts a window for limiters that
 * count from the first hit), a burst of 150 in the window's last 400 ms, another 100 ms after the
 * next window starts: how many are admitted in that ~0.5 s span.
 */
async function boundary(contender: Contender): Promise<number> {
  const windowMs = 2_000;
  const limiter = await contender.make(100, windowMs);
  try {
    await sleep(windowMs - (Date.now() % windowMs) + 10);
    const t0 = Date.now();
    await limiter.decide(0, 'edge');
    const burst = async (): Promise<number> =>
      (await Promise.all(Array.from({ length: 150 }, (_, i) => limiter.decide((i % 2) as 0 | 1, 'edge')))).filter(
        Boolean,
      ).length;
    await sleep(t0 + 1_600 - Date.now());
    const before = await burst();
    await sleep(Math.max(0, t0 + windowMs + 100 - Date.now()));
    return before + (await burst());
  } finally {
    await limiter.close();
  }
}

/**
 * What one three-tier decision on Redis costs, apart from HTTP: the application's CPU per decision
 * (ioredis encoding, the reply, Rampart's storage), 50 decisions in flight as under load, and the
 * Redis server's CPU per script call (INFO commandstats), which on a small machine is taken from
 * the application and the load generator.
 */
async function decisionCost(): Promise<void> {
  const store = await RedisStore.create({ url: REDIS_URL, keyPrefix: prefix() });
  const admin = new Redis(REDIS_URL);
  const storage = new StoreRateLimitStorage(store);
  const tiers: ResolvedTier[] = THROTTLERS.map((t) => ({
    name: t.name,
    limit: BIG,
    windowMs: t.ttl,
    blockForMs: 0,
    algorithm: 'sliding-window',
  }));
  // For scale: the cheapest round trip there is, an INCR through a client set as Rampart's.
  const plain = new Redis(REDIS_URL, { enableAutoPipelining: true });
  const incrKey = `${prefix()}incr`;
  const run = async (calls: number, call: () => Promise<unknown>): Promise<number> => {
    const before = process.cpuUsage();
    for (let done = 0; done < calls; done += 50) await Promise.all(Array.from({ length: 50 }, call));
    const cpu = process.cpuUsage(before);
    return (cpu.user + cpu.system) / calls;
  };
  const decide = (): Promise<unknown> => storage.decide('ip:127.0.0.1', tiers, 1);
  const incr = (): Promise<unknown> => plain.incr(incrKey);
  try {
    // INCR keeps an existing key's expiry: the key goes away on its own, at no cost per call.
    await plain.set(incrKey, 0, 'EX', 3600);
    await run(20_000, decide); // warm-up
    await run(20_000, incr);
    await admin.config('RESETSTAT');
    const decisionMicros = await run(100_000, decide);
    const incrMicros = await run(100_000, incr);
    const stats = (await admin.info('commandstats')).split('\n');
    const serverMicros = (command: string): string =>
      /usec_per_call=([\d.]+)/.exec(stats.find((line) => line.startsWith(`cmdstat_${command}:`)) ?? '')?.[1] ?? 'n/a';
    console.log('\n### One decision, 3 tiers on Redis, 50 in flight\n');
    console.log(
      `- application CPU per decision: ${decisionMicros.toFixed(1)} µs (one INCR: ${incrMicros.toFixed(1)} µs)`,
    );
    console.log(
      `- Redis server CPU per decision (EVALSHA): ${serverMicros('evalsha')} µs (INCR: ${serverMicros('incr')} µs)`,
    );
  } finally {
    admin.disconnect();
    plain.disconnect();
    await store.close();
  }
}

async function main(): Promise<void> {
  // BENCH_SKIP_DECISION_COST=1 skips the in-process cost of one decision.
  if (process.env.BENCH_SKIP_DECISION_COST !== '1') await decisionCost();
  // BENCH_CASES="bare route;Rampart, 3 tiers, Redis" runs a subset (the first is the baseline).
  const names = process.env.BENCH_CASES?.split(';') ?? Object.keys(cases);
  if (process.env.BENCH_SKIP_THROUGHPUT !== '1')
    printTable(
      'Rate limiting: GET /r, 50 connections, medians of 5 × 5 s rounds (limits never reached)',
      await compare(__filename, names, { path: '/r' }),
    );
  if (process.env.BENCH_SKIP_EXACTNESS === '1') process.exit(0);
  console.log('\n### Exactness and window boundary (limit 100)\n');
  console.log(
    '| limiter | admitted of 1000 concurrent, two instances (60 s window) | admitted in ~0.5 s across a boundary (2 s window) |',
  );
  console.log('|---|---:|---:|');
  for (const contender of CONTENDERS) {
    const exact = await exactness(contender);
    const edge = await boundary(contender);
    console.log(`| ${contender.name} | ${exact}${contender.shared ? '' : ' (one instance)'} | ${edge} |`);
  }
  process.exit(0);
}

if (require.main === module) void main();
