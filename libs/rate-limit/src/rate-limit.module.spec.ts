import {
  Controller,
  Get,
  Injectable,
  Module,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  InvalidOptionsError,
  provideGuardPhase,
  RampartCoreModule,
  RampartPipelineModule,
  useRequestContext,
} from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import type { Server } from 'node:http';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimit, SkipRateLimit } from './rate-limit.decorator';
import { RateLimitModule } from './rate-limit.module';
import type { RateLimitModuleOptions } from './rate-limit.options';

/**
 * Stands in for the auth lib: an authenticator of the application's own, in the `authenticate`
 * phase, that sets `request.user` / `request.apiKey` from test headers.
 */
@Injectable()
class FakeAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{
      headers: Record<string, string | undefined>;
      user?: { id: string };
      apiKey?: { id: string };
    }>();
    if (req.headers['x-user']) req.user = { id: req.headers['x-user'] };
    if (req.headers['x-key']) req.apiKey = { id: req.headers['x-key'] };
    return true;
  }
}

@Module({ imports: [RampartPipelineModule], providers: provideGuardPhase('authenticate', FakeAuthGuard) })
class FakeAuthModule {}

@RateLimit({ tiers: [{ name: 'class', limit: 3, window: '1m' }] })
@Controller('t')
class TestController {
  @Get('class')
  classPolicy(): string {
    return 'ok';
  }

  @RateLimit({ key: 'user', tiers: [{ name: 'minute', limit: 2, window: '1m' }] })
  @Get('user')
  user(): string {
    return 'ok';
  }

  @RateLimit({ key: 'apiKey', tiers: [{ name: 'minute', limit: 2, window: '1m' }] })
  @Get('api-key')
  apiKey(): string {
    return 'ok';
  }

  @RateLimit({ key: 'route', tiers: [{ name: 'minute', limit: 2, window: '1m' }] })
  @Get('route')
  route(): string {
    return 'ok';
  }

  @RateLimit({ key: ['ip', 'user'], tiers: [{ name: 'minute', limit: 2, window: '1m' }] })
  @Get('combined')
  combined(): string {
    return 'ok';
  }

  @RateLimit({
    key: (context) => context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-tenant'],
    tiers: [{ name: 'minute', limit: 2, window: '1m' }],
  })
  @Get('tenant')
  tenant(): string {
    return 'ok';
  }

  @RateLimit({ tiers: [{ name: 'minute', limit: 5, window: '1m' }], cost: 2 })
  @Get('expensive')
  expensive(): string {
    return 'ok';
  }

  @RateLimit('shared')
  @Get('shared-a')
  sharedA(): string {
    return 'ok';
  }

  @RateLimit('shared')
  @Get('shared-b')
  sharedB(): string {
    return 'ok';
  }

  @SkipRateLimit()
  @Get('skipped')
  skipped(): string {
    return 'ok';
  }
}

@Controller('d')
class DefaultController {
  @Get()
  get(): string {
    return 'ok';
  }
}

describe('RateLimitModule', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function boot(
    options: RateLimitModuleOptions = {},
    imports: unknown[] = [FakeAuthModule],
    after: unknown[] = [],
  ): Promise<Server> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RampartCoreModule.forRoot({ trustedProxies: ['loopback'], logEvents: false }),
        ErrorsModule.forRoot({}),
        ...(imports as []),
        RateLimitModule.forRoot({
          defaultPolicy: { tiers: [{ name: 'minute', limit: 4, window: '1m' }] },
          policies: { shared: { tiers: [{ name: 'minute', limit: 3, window: '1m' }] } },
          ...options,
        }),
        ...(after as []),
      ],
      controllers: [TestController, DefaultController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    useRequestContext(app);
    await app.init();
    return app.getHttpServer() as Server;
  }

  async function statuses(server: Server, path: string, n: number, headers: Record<string, string> = {}) {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await request(server).get(path).set(headers)).status);
    return out;
  }

  it('applies the default policy per IP to undecorated routes', async () => {
    const server = await boot();
    expect(await statuses(server, '/d', 5)).toEqual([200, 200, 200, 200, 429]);
    expect(await statuses(server, '/d', 1, { 'X-Forwarded-For': '203.0.113.9' })).toEqual([200]);
  });

  it('uses the controller policy, and a handler policy instead of it', async () => {
    const server = await boot();
    expect(await statuses(server, '/t/class', 4)).toEqual([200, 200, 200, 429]);
    expect(await statuses(server, '/t/user', 3)).toEqual([200, 200, 429]);
  });

  it('keys by the user that authentication set, after the authentication phase ran', async () => {
    const server = await boot();
    expect(await statuses(server, '/t/user', 3, { 'X-User': 'alice' })).toEqual([200, 200, 429]);
    expect(await statuses(server, '/t/user', 2, { 'X-User': 'bob' })).toEqual([200, 200]);
    // Anonymous callers fall back to their IP; a user id that looks like an IP is not that IP.
    expect(await statuses(server, '/t/user', 2, { 'X-User': '127.0.0.1' })).toEqual([200, 200]);
    expect(await statuses(server, '/t/user', 3)).toEqual([200, 200, 429]);
  });

  it('keys by user when imported before the authentication module: phases, not imports, order the guards', async () => {
    const server = await boot({}, [], [FakeAuthModule]);
    expect(await statuses(server, '/t/user', 3, { 'X-User': 'alice' })).toEqual([200, 200, 429]);
    expect(await statuses(server, '/t/user', 2, { 'X-User': 'bob' })).toEqual([200, 200]);
  });

  it('refuses to start with a per-user limit and no authentication phase', async () => {
    await expect(boot({}, [])).rejects.toMatchObject({ code: 'RAMPART_AUTHENTICATION_MISSING' });
  });

  it('keys by API key, by route, by a combination and by a function', async () => {
    const server = await boot();
    expect(await statuses(server, '/t/api-key', 3, { 'X-Key': 'k1' })).toEqual([200, 200, 429]);
    expect(await statuses(server, '/t/api-key', 1, { 'X-Key': 'k2' })).toEqual([200]);
    // One quota for the route, whoever calls.
    expect(await statuses(server, '/t/route', 1, { 'X-Forwarded-For': '203.0.113.1' })).toEqual([200]);
    expect(await statuses(server, '/t/route', 2, { 'X-Forwarded-For': '203.0.113.2' })).toEqual([200, 429]);
    expect(await statuses(server, '/t/combined', 3, { 'X-User': 'carol' })).toEqual([200, 200, 429]);
    expect(await statuses(server, '/t/combined', 1, { 'X-User': 'carol', 'X-Forwarded-For': '203.0.113.3' })).toEqual([
      200,
    ]);
    expect(await statuses(server, '/t/tenant', 3, { 'X-Tenant': 'acme' })).toEqual([200, 200, 429]);
    expect(await statuses(server, '/t/tenant', 1, { 'X-Tenant': 'globex' })).toEqual([200]);
  });

  it('charges the cost of a request', async () => {
    const server = await boot();
    expect(await statuses(server, '/t/expensive', 3)).toEqual([200, 200, 429]);
  });

  it('shares the counters of a named policy across routes', async () => {
    const server = await boot();
    expect(await statuses(server, '/t/shared-a', 2)).toEqual([200, 200]);
    expect(await statuses(server, '/t/shared-b', 2)).toEqual([200, 429]);
  });

  it('skips routes marked @SkipRateLimit()', async () => {
    const server = await boot();
    const res = await request(server).get('/t/skipped');
    expect(await statuses(server, '/t/skipped', 10)).toEqual(Array(10).fill(200));
    expect(res.headers.ratelimit).toBeUndefined();
  });

  it('limits only decorated routes when defaultPolicy is false', async () => {
    const server = await boot({ defaultPolicy: false });
    expect(await statuses(server, '/d', 8)).toEqual(Array(8).fill(200));
    expect(await statuses(server, '/t/class', 4)).toEqual([200, 200, 200, 429]);
  });

  it('sends the legacy X-RateLimit-* headers when asked', async () => {
    const server = await boot({ headers: 'legacy' });
    const res = await request(server).get('/d').expect(200);
    expect(res.headers).toMatchObject({ 'x-ratelimit-limit': '4', 'x-ratelimit-remaining': '3' });
    expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    expect(res.headers.ratelimit).toBeUndefined();
  });

  it('works with forRootAsync', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ErrorsModule.forRoot({}),
        RateLimitModule.forRootAsync({
          useFactory: () => ({ defaultPolicy: { tiers: [{ name: 'minute', limit: 1, window: '1m' }] } }),
        }),
      ],
      controllers: [DefaultController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    expect(await statuses(app.getHttpServer() as Server, '/d', 2)).toEqual([200, 429]);
  });

  it('refuses bad options at bootstrap with RATE_LIMIT_INVALID_OPTIONS', async () => {
    const bad: RateLimitModuleOptions[] = [
      { defaultPolicy: { tiers: [] } },
      { defaultPolicy: { tiers: [{ name: 'm', limit: 0, window: '1m' }] } },
      { defaultPolicy: { tiers: [{ name: 'm', limit: 5, window: '1 minute' as '1m' }] } },
      { defaultPolicy: { tiers: [{ name: 'bad name', limit: 5, window: '1m' }] } },
      { defaultPolicy: { tiers: [{ name: 'm', limit: 50_000, window: '1m', algorithm: 'sliding-log' }] } },
      { deadlineMs: 0 },
      { keyPrefix: '{x}' },
      { onStoreFailure: 'maybe' as 'failOpen' },
    ];
    for (const options of bad) {
      await expect(boot(options)).rejects.toMatchObject({ code: 'RATE_LIMIT_INVALID_OPTIONS' });
    }
  });

  it('refuses at bootstrap a route naming a policy that does not exist', async () => {
    await expect(boot({ policies: {} })).rejects.toBeInstanceOf(InvalidOptionsError);
  });

  it('refuses a bad policy when the class is defined', () => {
    expect(() => RateLimit({ tiers: [{ name: 'm', limit: -1, window: '1m' }] })).toThrow(InvalidOptionsError);
    expect(() => RateLimit({ tiers: [{ name: 'm', limit: 1, window: '1m' }], cost: 0 })).toThrow(InvalidOptionsError);
    expect(() => RateLimit({ key: 'email' as 'ip', tiers: [{ name: 'm', limit: 1, window: '1m' }] })).toThrow(
      InvalidOptionsError,
    );
  });
});
