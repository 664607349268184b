import { Controller, Get, Post, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AuthModule, Public } from '@rampart/auth';
import { RampartCoreModule, useRequestContext } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { useHttpsRedirect, useSecurityHeaders } from '@rampart/headers';
import { RampartModule, useRampart, type RampartModuleOptions } from '@rampart/nest';
import { RateLimit, RateLimitModule, SkipRateLimit } from '@rampart/rate-limit';
import { ThreatModule, useThreatDetection } from '@rampart/threat';
import { useRequestLimits, ValidationModule } from '@rampart/validation';
import type { Server } from 'node:http';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DevTokenIssuer } from '../apps/sample-api/src/auth/dev-token-issuer';
import { CapturingLogger, PLATFORMS } from './utils/test-app';
import type { Platform } from '../apps/sample-api/src/app.factory';

// The composition tests of issue #11: small apps of their own (not the sample), each lib imported
// alone in every order, or all of them through RampartModule, on both platforms.

@Controller()
class PipelineController {
  /** Per-user limit: 2 a minute per user (anonymous callers, failed tokens included, per IP). */
  @RateLimit({ key: 'user', tiers: [{ name: 'me', limit: 2, window: '1m' }] })
  @Get('me')
  me(): string {
    return 'me';
  }

  /** The default policy: 3 a minute per IP. */
  @Public()
  @Get('open')
  open(): string {
    return 'open';
  }

  @Public()
  @Post('open')
  post(): string {
    return 'posted';
  }

  /** Authenticated, under the default per-IP policy: the target of the bad-token flood. */
  @Get('private')
  private(): string {
    return 'private';
  }

  @Public()
  @SkipRateLimit()
  @Get('health')
  health(): string {
    return 'ok';
  }
}

let issuer: DevTokenIssuer;
beforeAll(async () => {
  issuer = await DevTokenIssuer.create('https://issuer.test', 'https://api.test');
});

const options = (perIp: number) =>
  ({
    core: { logEvents: false },
    errors: {},
    auth: { jwt: { issuer: issuer.issuer, audience: issuer.audience, keys: [issuer.publicJwk] } },
    rateLimit: { defaultPolicy: { key: 'ip', tiers: [{ name: 'minute', limit: perIp, window: '1m' }] } },
    threat: { mode: 'block' },
    validation: { maxBodyBytes: 1024 },
  }) satisfies RampartModuleOptions;

type Lib = 'auth' | 'rateLimit' | 'threat';
const LIBS: readonly Lib[] = ['auth', 'rateLimit', 'threat'];

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** Each lib's own module, in the given order. */
function separately(order: readonly Lib[], perIp: number): unknown[] {
  const o = options(perIp);
  const modules: Record<Lib, DynamicModule> = {
    auth: AuthModule.forRoot(o.auth),
    rateLimit: RateLimitModule.forRoot(o.rateLimit),
    threat: ThreatModule.forRoot(o.threat),
  };
  return [
    RampartCoreModule.forRoot(o.core),
    ErrorsModule.forRoot(o.errors),
    ValidationModule.forRoot(o.validation),
    ...order.map((lib) => modules[lib]),
  ];
}

type Setup = (app: INestApplication) => void;
/** The use*() functions in the documented order, and in the reverse one. */
const FORWARD: Setup = (app) => {
  useRequestContext(app);
  useSecurityHeaders(app);
  useThreatDetection(app);
  useHttpsRedirect(app, {});
  useRequestLimits(app);
};
const REVERSED: Setup = (app) => {
  useRequestLimits(app);
  useHttpsRedirect(app, {});
  useThreatDetection(app);
  useSecurityHeaders(app);
  useRequestContext(app);
};

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function boot(platform: Platform, imports: unknown[], setup: Setup, logger?: CapturingLogger): Promise<Server> {
  const module = { module: class PipelineApp {}, imports: imports as [], controllers: [PipelineController] };
  const settings = { logger: logger ?? false, abortOnError: false } as const;
  app =
    platform === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), settings)
      : await NestFactory.create(module, settings);
  setup(app);
  await app.init();
  if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  return app.getHttpServer() as Server;
}

/** The same requests against every composition; what came back, minus what differs by nature (ids, times). */
async function transcript(server: Server): Promise<unknown[]> {
  const alice = { Authorization: `Bearer ${await issuer.issue({ sub: 'alice', scope: '' })}` };
  const bob = { Authorization: `Bearer ${await issuer.issue({ sub: 'bob', scope: '' })}` };
  const forged = { Authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2ln' };
  const steps: [string, () => request.Test][] = [
    ['alice 1', () => request(server).get('/me').set(alice)],
    ['alice 2', () => request(server).get('/me').set(alice)],
    ['alice 3', () => request(server).get('/me').set(alice)],
    // Per user, not per IP: bob shares alice's IP and still has his own quota.
    ['bob 1', () => request(server).get('/me').set(bob)],
    ['forged 1', () => request(server).get('/me').set(forged)],
    ['forged 2', () => request(server).get('/me').set(forged)],
    ['forged 3', () => request(server).get('/me').set(forged)],
    // Threat first: the refused attack spends nobody's quota.
    ['attack', () => request(server).get('/open?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E')],
    ['open 1', () => request(server).get('/open')],
    [
      'too large',
      () =>
        request(server)
          .post('/open')
          .set('Content-Type', 'application/json')
          .send({ pad: 'x'.repeat(2000) }),
    ],
    ['open 2', () => request(server).get('/open')],
    ['open 3', () => request(server).get('/open')],
    ['open 4', () => request(server).get('/open')],
    ['health', () => request(server).get('/health')],
  ];
  const out: unknown[] = [];
  for (const [name, send] of steps) {
    const res = await send();
    const body = res.body as { code?: string; limitedBy?: string };
    out.push({
      name,
      status: res.status,
      code: body.code,
      limitedBy: body.limitedBy,
      requestId: typeof res.headers['x-request-id'] === 'string',
      csp: res.headers['content-security-policy'] !== undefined,
      policy: res.headers['ratelimit-policy'],
      challenge: res.headers['www-authenticate']?.split(',')[0],
    });
  }
  return out;
}

describe.each(PLATFORMS)('one pipeline, whatever the composition (%s)', (platform) => {
  it('gives identical statuses, keys and headers for every import order and use*() call order', async () => {
    const transcripts: [string, unknown[]][] = [];
    for (const order of permutations(LIBS)) {
      for (const [setupName, setup] of [
        ['forward', FORWARD],
        ['reversed', REVERSED],
      ] as const) {
        const server = await boot(platform, separately(order, 3), setup);
        transcripts.push([`${order.join(',')} ${setupName}`, await transcript(server)]);
        await app?.close();
        app = undefined;
      }
    }
    const server = await boot(platform, [RampartModule.forRoot(options(3))], useRampart);
    transcripts.push(['RampartModule + useRampart', await transcript(server)]);

    const [, reference] = transcripts[0]!;
    const statuses = reference.map(
      (step) => `${(step as { name: string }).name}: ${(step as { status: number }).status}`,
    );
    expect(statuses).toEqual([
      'alice 1: 200',
      'alice 2: 200',
      'alice 3: 429',
      'bob 1: 200',
      'forged 1: 401',
      'forged 2: 401',
      'forged 3: 429',
      'attack: 403',
      'open 1: 200',
      'too large: 413',
      'open 2: 200',
      'open 3: 200',
      'open 4: 429',
      'health: 200',
    ]);
    // Every answer, the platform's 413 and the threat's 403 included, has the id and the headers.
    for (const step of reference) expect(step).toMatchObject({ requestId: true, csp: true });
    for (const [name, steps] of transcripts) expect({ name, steps }).toEqual({ name, steps: reference });
  }, 120_000);

  it('limits a flood of bad bearer tokens from one IP (pre-authentication limits)', async () => {
    const server = await boot(platform, [RampartModule.forRoot(options(20))], useRampart);
    const counts = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const { status } = await request(server).get('/private').set('Authorization', `Bearer bad.token.${i}`);
      counts.set(status, (counts.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ 401: 20, 429: 180 });
  }, 60_000);

  it('answers 401, never 500, without ErrorsModule, and says at start-up what is missing', async () => {
    const logs = new CapturingLogger();
    const o = options(3);
    const server = await boot(
      platform,
      [RampartCoreModule.forRoot(o.core), AuthModule.forRoot(o.auth)],
      useRequestContext,
      logs,
    );
    const res = await request(server).get('/private').expect(401);
    expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
    expect(logs.lines.some((line) => line.startsWith('warn') && line.includes('ErrorsModule is not installed'))).toBe(
      true,
    );
  });

  it('refuses a lib installed twice, and the platform chain installed twice', async () => {
    const o = options(3);
    await expect(
      boot(platform, [RampartModule.forRoot(o), AuthModule.forRoot(o.auth)], useRampart),
    ).rejects.toMatchObject({ code: 'RAMPART_INSTALLED_TWICE' });
    await app?.close();
    app = undefined;
    await expect(
      boot(platform, [RampartModule.forRoot(o)], (nest) => {
        useRampart(nest);
        useRampart(nest);
      }),
    ).rejects.toMatchObject({ code: 'RAMPART_INSTALLED_TWICE' });
  });

  it('names the missing core module instead of a DI error about Symbol(RAMPART_STORE)', async () => {
    const error: unknown = await boot(
      platform,
      [ErrorsModule.forRoot({}), AuthModule.forRoot(options(3).auth)],
      () => undefined,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RAMPART_CORE_MISSING' });
    expect((error as Error).message).toContain('RampartCoreModule.forRoot()');
  });

  it('refuses a per-user limit when nothing authenticates', async () => {
    const o = options(3);
    await expect(
      boot(
        platform,
        [RampartCoreModule.forRoot(o.core), ErrorsModule.forRoot({}), RateLimitModule.forRoot(o.rateLimit)],
        useRequestContext,
      ),
    ).rejects.toMatchObject({ code: 'RAMPART_AUTHENTICATION_MISSING' });
  });
});
