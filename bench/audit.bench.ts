// Cost of the audit trail on the full pipeline (request context, threat inspection, JWT auth,
// validation, rate limit, problem+json errors): audit off vs on (metrics + ring buffer) vs on with
// the Redis stream. Every request is authenticated, so each one emits an `auth.success` event the
// audit trail records: its worst ordinary case. Target: audit on ≥ 0.95× audit off.
// Run: flock /tmp/bench.lock node bench/run.mjs bench/audit.bench.ts (BENCH_ROUNDS, BENCH_SECONDS to
// shorten; BENCH_CASES='audit off|Redis stream' for some cases only; BENCH_CPU_PROF=<dir> for profiles;
// BENCH_SKIP_MICRO=1 skips the in-process costs per event: dispatch, and the Redis stream sink;
// BENCH_SKIP_THROUGHPUT=1 runs only those)
import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule } from '@rampart/audit';
import { AuthModule } from '@rampart/auth';
import { RampartCoreModule, useRequestContext, type SecurityEventInput } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { RateLimitModule } from '@rampart/rate-limit';
import { ThreatModule, useThreatDetection } from '@rampart/threat';
import { ValidationModule } from '@rampart/validation';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_PUBLIC_KEY, benchToken } from './utils/bench-token';
import { compare, printTable, type BenchCases } from './utils/harness';

/** The event every authenticated request emits: what the in-process parts dispatch. */
const AUTH_SUCCESS: SecurityEventInput = {
  type: 'auth.success',
  severity: 'info',
  requestId: 'c0ffee00-0000-4000-8000-000000000000',
  clientIp: '203.0.113.7',
  route: 'GET /bench',
  reason: 'jwt',
  principal: { kind: 'user', id: 'bench-user', clientId: 'bench' },
};
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

@Controller('bench')
class BenchController {
  @Get()
  get(): { ok: true } {
    return { ok: true };
  }
}

function pipeline(audit: 'off' | 'memory' | 'redis'): DynamicModule {
  @Module({})
  class BenchModule {}
  return {
    module: BenchModule,
    imports: [
      RampartCoreModule.forRoot({ logEvents: false }),
      ErrorsModule.forRoot({}),
      ...(audit === 'off'
        ? []
        : [
            AuditModule.forRoot({
              metrics: { token: 'bench-metrics-token-0123' },
              ...(audit === 'redis'
                ? { redis: { url: REDIS_URL, stream: 'rampart-bench:audit:events', maxLength: 10_000 } }
                : {}),
            }),
          ]),
      // One client far under every behaviour limit, as most of an API's clients are.
      ThreatModule.forRoot({ mode: 'block', behaviour: { requestRate: { limit: 1e9 } } }),
      AuthModule.forRoot({ jwt: { issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE, keys: [BENCH_PUBLIC_KEY] } }),
      ValidationModule.forRoot({}),
      RateLimitModule.forRoot({
        store: 'memory',
        defaultPolicy: { key: 'user', tiers: [{ name: 'minute', limit: 1e9, window: '1m' }] },
      }),
    ],
    controllers: [BenchController],
  };
}

async function boot(audit: 'off' | 'memory' | 'redis') {
  const app = await NestFactory.create(pipeline(audit), { logger: false });
  useRequestContext(app);
  useThreatDetection(app);
  return app;
}

export const cases: BenchCases = {
  'full pipeline, audit off': () => boot('off'),
  'full pipeline + audit (metrics, ring buffer)': () => boot('memory'),
  'full pipeline + audit + Redis stream': () => boot('redis'),
};

/**
 * The audit trail's own cost per event, in process: what each authenticated request adds. CPU time
 * (not wall time: the machine is shared), setups interleaved round by round, median of the rounds.
 */
async function microBenchmark(): Promise<void> {
  const { Test } = await import('@nestjs/testing');
  const { SecurityEvents } = await import('@rampart/core');
  const setups = [
    ['nobody listens (event not built)', [RampartCoreModule.forRoot({ logEvents: false })]],
    [
      'audit: metrics + ring buffer',
      [RampartCoreModule.forRoot({ logEvents: false }), AuditModule.forRoot({ metrics: {} })],
    ],
  ] as const;
  const rounds = 7;
  const emits = 100_000;
  console.log(
    `\n### Audit: CPU cost per event, in process (median of ${rounds} interleaved rounds of ${emits} emits)\n`,
  );
  console.log('| setup | µs per event |');
  console.log('|---|---:|');
  const running = await Promise.all(
    setups.map(async ([name, imports]) => {
      const moduleRef = await Test.createTestingModule({ imports: [...imports] }).compile();
      await moduleRef.init();
      const events = moduleRef.get(SecurityEvents);
      const emit = (): void => {
        if (!events.wants('auth.success')) return;
        events.emit(AUTH_SUCCESS);
      };
      for (let i = 0; i < 20_000; i++) emit();
      return { name, moduleRef, emit, samples: [] as number[] };
    }),
  );
  for (let round = 0; round < rounds; round++) {
    for (const setup of running) {
      const cpu = process.cpuUsage();
      for (let i = 0; i < emits; i++) setup.emit();
      const used = process.cpuUsage(cpu);
      setup.samples.push((used.user + used.system) / emits);
    }
  }
  for (const { name, moduleRef, samples } of running) {
    const median = [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
    console.log(`| ${name} | ${median.toFixed(2)} |`);
    await moduleRef.close();
  }
}

/**
 * The Redis stream sink's own cost per event, at a steady rate (`perMs` events each millisecond, as
 * requests arrive): this process's CPU beyond the same events with metrics and the ring buffer only,
 * and the Redis server's CPU (`INFO cpu`: meaningful when nothing else uses that Redis).
 */
async function streamCost(): Promise<void> {
  const { Test } = await import('@nestjs/testing');
  const { SecurityEvents } = await import('@rampart/core');
  const { AuditService } = await import('@rampart/audit');
  const { Redis } = await import('ioredis');
  const { setTimeout: sleep } = await import('node:timers/promises');
  const admin = new Redis(REDIS_URL);
  const redisCpu = async (): Promise<number> => {
    const info = await admin.info('cpu');
    const field = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
  };
  const stream = 'rampart-bench:audit:cost';
  const measure = async (perMs: number, redis: boolean): Promise<{ node: number; redis: number }> => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RampartCoreModule.forRoot({ logEvents: false }),
        AuditModule.forRoot({
          metrics: {},
          ...(redis ? { redis: { url: REDIS_URL, stream, maxLength: 10_000 } } : {}),
        }),
      ],
    }).compile();
    await moduleRef.init();
    const events = moduleRef.get(SecurityEvents);
    const audit = moduleRef.get(AuditService);
    const emitFor = async (ms: number): Promise<number> => {
      for (let tick = 0; tick < ms; tick++) {
        for (let i = 0; i < perMs; i++) {
          events.emit(AUTH_SUCCESS);
        }
        await sleep(1);
      }
      await audit.flush();
      return ms * perMs;
    };
    await sleep(200); // connected
    await emitFor(200); // warm
    const [cpu, redisBefore] = [process.cpuUsage(), await redisCpu()];
    const count = await emitFor(2_000);
    const used = process.cpuUsage(cpu);
    const redisUsed = (await redisCpu()) - redisBefore;
    await moduleRef.close();
    return { node: (used.user + used.system) / count, redis: redisUsed / count };
  };
  console.log('\n### Audit: the Redis stream sink, CPU µs per event at a steady rate (beyond metrics + ring buffer)\n');
  console.log('| events per ms | this process | Redis server |');
  console.log('|---:|---:|---:|');
  for (const perMs of [1, 4, 16]) {
    const without = await measure(perMs, false);
    const withStream = await measure(perMs, true);
    console.log(
      `| ${perMs} | ${(withStream.node - without.node).toFixed(2)} | ${(withStream.redis - without.redis).toFixed(2)} |`,
    );
  }
  await admin.del(stream);
  admin.disconnect();
}

async function main(): Promise<void> {
  if (process.env.BENCH_SKIP_MICRO !== '1') {
    await microBenchmark();
    await streamCost();
  }
  if (process.env.BENCH_SKIP_THROUGHPUT === '1') return;
  const token = await benchToken();
  const only = process.env.BENCH_CASES?.split('|');
  const names = Object.keys(cases).filter((name) => !only || only.some((part) => name.includes(part)));
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  printTable(
    `Audit: authenticated GET /bench through the full pipeline, 50 connections, medians of ${rounds} × ${seconds} s`,
    await compare(__filename, names, {
      path: '/bench',
      headers: { authorization: `Bearer ${token}` },
      rounds,
      durationSeconds: seconds,
    }),
  );
}

if (require.main === module) void main();
