import { ApiKeyService } from '@rampart/auth';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { RampartCoreModule, SecurityEvents, useRequestContext, type SecurityEvent } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { RateLimitModule } from '@rampart/rate-limit';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseList, type Item } from 'structured-headers';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type AppConfig } from '../apps/sample-api/src/app.config';
import { startAppProcess, type AppProcess } from './utils/app-process';
import { bearer } from './utils/auth';
import { RateLimitedController } from './utils/rate-limited.controller';
import { clusterClient, describeWithCluster, describeWithRedis, redisClusterNodes, redisUrl } from './utils/redis';
import { CapturingLogger, PLATFORMS, startApp, type TestApp } from './utils/test-app';

const limits = (overrides: Partial<AppConfig['rateLimit']> = {}): Pick<AppConfig, 'rateLimit'> => ({
  rateLimit: { ...loadConfig({}).rateLimit, keyPrefix: `rl:${randomUUID()}:`, ...overrides },
});

/** Parses a field as RFC 9651 requires; throws on any syntax error. */
function items(field: string | undefined): Item[] {
  if (field === undefined) throw new Error('header missing');
  return parseList(field) as Item[];
}

describe.each(PLATFORMS)('RateLimitModule in the sample API (%s)', (platform) => {
  let t: TestApp;
  const events: SecurityEvent[] = [];
  beforeAll(async () => {
    t = await startApp(platform, limits({ writesPerMinute: 3, partner: [4, 1000, 10_000] }), [RateLimitedController]);
    t.app.get(SecurityEvents).subscribe((event) => events.push(event));
  });
  afterAll(() => t.close());

  it('sends RateLimit-Policy and RateLimit in the draft-11 structured-field syntax', async () => {
    const res = await request(t.server).get('/health').expect(200);
    const policy = items(res.headers['ratelimit-policy']);
    expect(policy).toHaveLength(1);
    const [name, params] = policy[0]!;
    expect(name).toBe('minute'); // an sf-string, not a token
    expect(params.get('q')).toBe(1200);
    expect(params.get('w')).toBe(60);
    const [current] = items(res.headers.ratelimit);
    expect(current![0]).toBe('minute');
    expect(current![1].get('r')).toBe(1199);
    expect(Number.isInteger(current![1].get('t'))).toBe(true);
    expect(res.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('limits writes per user, not per IP', async () => {
    const alice = await bearer(t.app, 'u-alice');
    const bob = await bearer(t.app, 'u-bob');
    const note = { title: 't', body: 'b' };
    for (let i = 0; i < 3; i++) await request(t.server).post('/notes').set(alice).send(note).expect(201);
    const res = await request(t.server).post('/notes').set(alice).send(note).expect(429);
    expect(res.body).toMatchObject({ code: 'RATE_LIMITED', limitedBy: 'writes' });
    await request(t.server).post('/notes').set(bob).send(note).expect(201);
    expect(events.find((e) => e.type === 'rate_limit.exceeded' && e.subject === 'user:u-alice')).toBeDefined();
  });

  it('limits the partner API per API key with the three tiers, after authentication', async () => {
    const keys = t.app.get(ApiKeyService, { strict: false });
    const issued = [
      await keys.create({ name: 'Acme', scopes: ['partner:read'], tenantId: 't1' }),
      await keys.create({ name: 'Globex', scopes: ['partner:read'], tenantId: 't2' }),
    ];
    const call = (key: string) => request(t.server).get('/partner/stats').set('X-API-Key', key);
    for (let i = 0; i < 4; i++) {
      const ok = await call(issued[0]!.key).expect(200);
      expect(
        items(ok.headers['ratelimit-policy']).map(([name, params]): unknown[] => [
          name,
          params.get('q'),
          params.get('w'),
        ]),
      ).toEqual([
        ['minute', 4, 60],
        ['hour', 1000, 3600],
        ['day', 10_000, 86_400],
      ]);
    }
    const res = await call(issued[0]!.key).expect(429);
    expect(res.body.limitedBy).toBe('minute');
    await call(issued[1]!.key).expect(200); // another key, same IP: its own quota
    // Without a key, authentication answers first: a 401 with no rate-limit headers.
    const anonymous = await request(t.server).get('/partner/stats').expect(401);
    expect(anonymous.headers.ratelimit).toBeUndefined();
  });
});

/** A TCP proxy in front of Redis that can hang (stop forwarding) or drop every connection. */
class RedisProxy {
  private frozen = false;
  private readonly sockets = new Set<Socket>();
  private server!: NetServer;
  port = 0;

  async start(): Promise<void> {
    const target = new URL(redisUrl);
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      this.sockets.add(client).add(upstream);
      client.on('data', (chunk) => this.frozen || upstream.write(chunk));
      upstream.on('data', (chunk) => this.frozen || client.write(chunk));
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
  }

  /** Drops every connection (new ones still reach Redis): a restart or a network cut. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describeWithRedis('RateLimitModule on a shared Redis', () => {
  const admin = new Redis(redisUrl);
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await admin.keys(`rampart:${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
    }
    await admin.quit();
  });

  /** 1000 concurrent requests split across the given servers; returns the status counts. */
  async function flood(urls: string[], path: string, total = 1000): Promise<Map<number, number>> {
    const statuses = await Promise.all(
      Array.from({ length: total }, (_, i) => fetch(`${urls[i % urls.length]!}${path}`).then((r) => r.status)),
    );
    const counts = new Map<number, number>();
    for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
    return counts;
  }

  /** Waits until the Redis clock is at least `marginMs` away from a minute boundary. */
  async function awayFromMinuteBoundary(marginMs: number): Promise<void> {
    const [seconds, micros] = await admin.time();
    const inMinute = (Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)) % 60_000;
    if (inMinute > 60_000 - marginMs) await sleep(60_000 - inMinute + 50);
  }

  describe('two instances sharing Redis', () => {
    // Each instance in its own process, as in production: one event loop does not also run the
    // load generator and the other instance.
    const instances: AppProcess[] = [];
    const urls: string[] = [];
    beforeAll(async () => {
      const keyPrefix = `rl:${randomUUID()}:`;
      prefixes.push(keyPrefix);
      for (const platform of PLATFORMS) instances.push(await startAppProcess(platform, redisUrl, { keyPrefix }));
      urls.push(...instances.map((instance) => instance.url));
    }, 60_000);
    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.stop()));
    });

    it.each(['sliding-log', 'sliding-window'] as const)(
      '%s admits exactly 100 of 1000 concurrent requests across both instances',
      async (algorithm) => {
        await awayFromMinuteBoundary(10_000);
        const counts = await flood(urls, `/test/rl/${algorithm}`);
        expect(counts.get(200)).toBe(100);
        expect(counts.get(429)).toBe(900);
        expect(counts.size).toBe(2);
      },
    );

    it('token-bucket admits the burst of 100 plus only what refilled meanwhile', async () => {
      const started = Date.now();
      const counts = await flood(urls, '/test/rl/token-bucket');
      const refilled = Math.ceil((Date.now() - started) / 600); // 100 per minute: one every 600 ms
      expect(counts.get(200)).toBeGreaterThanOrEqual(100);
      expect(counts.get(200)).toBeLessThanOrEqual(100 + refilled);
      expect((counts.get(200) ?? 0) + (counts.get(429) ?? 0)).toBe(1000);
    });

    it('leaves no trace of the 900 denied requests: after the window, the full limit again', async () => {
      // 100 per 2 s, exactly (sliding log): a flood that outlasts the window on a loaded machine
      // may be admitted 100 more for each window it spans, never more.
      const timedFlood = async (): Promise<{ admitted: number; denied: number; windows: number }> => {
        const started = Date.now();
        const counts = await flood(urls, '/test/rl/short');
        const windows = Math.ceil((Date.now() - started) / 2_000);
        return { admitted: counts.get(200) ?? 0, denied: counts.get(429) ?? 0, windows };
      };
      const first = await timedFlood();
      expect(first.admitted).toBeGreaterThanOrEqual(100);
      expect(first.admitted).toBeLessThanOrEqual(100 * first.windows);
      await sleep(2_100);
      const second = await timedFlood();
      expect(second.admitted).toBeGreaterThanOrEqual(100);
      expect(second.admitted).toBeLessThanOrEqual(100 * second.windows);
      expect(second.admitted + second.denied).toBe(1000);
    });
  });

  describeWithCluster('two instances sharing a Redis Cluster', () => {
    const instances: AppProcess[] = [];
    const urls: string[] = [];
    const cluster = clusterClient();
    let keyPrefix: string;
    beforeAll(async () => {
      keyPrefix = `rl:${randomUUID()}:`;
      for (const platform of PLATFORMS)
        instances.push(await startAppProcess(platform, `cluster:${redisClusterNodes}`, { keyPrefix }));
      urls.push(...instances.map((instance) => instance.url));
    }, 60_000);
    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.stop()));
      await Promise.all(
        cluster.nodes('master').map(async (node) => {
          for (const key of await node.keys(`rampart:${keyPrefix}*`)) await node.del(key);
        }),
      );
      await cluster.quit();
    });

    it.each(['sliding-log', 'sliding-window'] as const)(
      '%s admits exactly 100 of 1000 concurrent requests across both instances',
      async (algorithm) => {
        await awayFromMinuteBoundary(10_000);
        const counts = await flood(urls, `/test/rl/${algorithm}`);
        expect(counts.get(200)).toBe(100);
        expect(counts.get(429)).toBe(900);
        expect(counts.size).toBe(2);
      },
    );
  });

  describe('when Redis hangs or drops connections', () => {
    // Wide apart, so a loaded machine's scheduling noise falls between them: a request that waits
    // for the hung store costs the deadline (+ a 25 ms grace); one with no deadline would wait for
    // the store's command timeout.
    const DEADLINE_MS = 500;
    const COMMAND_TIMEOUT_MS = 5_000;
    const PROBE_INTERVAL_MS = 1_000; // the resilient storage's default
    let proxy: RedisProxy;
    let t: TestApp;
    const events: SecurityEvent[] = [];
    afterEach(async () => {
      await t.close();
      await proxy.stop();
      events.length = 0;
    });

    // Only the rate limiter talks to Redis here: the sample API's other Redis users have outage
    // policies (and latencies) of their own, which would blur what is measured.
    async function boot(onStoreFailure: 'failOpen' | 'failClosed'): Promise<void> {
      proxy = new RedisProxy();
      await proxy.start();
      const keyPrefix = `rl:${randomUUID()}:`;
      prefixes.push(keyPrefix);
      const moduleRef = await Test.createTestingModule({
        imports: [
          RampartCoreModule.forRoot({
            store: { type: 'redis', url: proxy.url, commandTimeoutMs: COMMAND_TIMEOUT_MS },
            logEvents: false,
          }),
          ErrorsModule.forRoot({}),
          RateLimitModule.forRoot({ keyPrefix, onStoreFailure, deadlineMs: DEADLINE_MS }),
        ],
        controllers: [RateLimitedController],
      }).compile();
      const logs = new CapturingLogger();
      const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: logs });
      useRequestContext(app);
      await app.init();
      t = { app, server: app.getHttpServer() as Server, logs, close: () => app.close() };
      t.app.get(SecurityEvents).subscribe((event) => events.push(event));
    }

    async function timed(path: string): Promise<{ status: number; ms: number; degraded: boolean }> {
      const started = performance.now();
      const res = await request(t.server).get(path);
      return { status: res.status, ms: performance.now() - started, degraded: false };
    }

    it('failOpen: answers within the deadline from the per-instance insurance limiter, warns once, recovers', async () => {
      await boot('failOpen');
      await request(t.server).get('/test/rl/five').expect(200); // one request counted in Redis
      proxy.freeze();
      const during = [];
      for (let i = 0; i < 8; i++) during.push(await timed('/test/rl/five'));
      // The insurance limiter applies the same tier, per instance: 5 admitted, then 429.
      expect(during.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
      for (const r of during) expect(r.ms).toBeLessThan(COMMAND_TIMEOUT_MS);
      // No wait once degraded, but for one probe of the store per interval: were every request to
      // try the hung store, all seven would take the deadline, and they would span 3.5 s.
      const degraded = during.slice(1);
      const spanMs = degraded.reduce((sum, r) => sum + r.ms, 0);
      const waited = degraded.filter((r) => r.ms >= DEADLINE_MS).length;
      expect(waited, JSON.stringify(degraded)).toBeLessThanOrEqual(Math.floor(spanMs / PROBE_INTERVAL_MS));
      expect(events.filter((e) => e.type === 'rate_limit.degraded')).toHaveLength(1);
      expect(events.find((e) => e.type === 'rate_limit.degraded')).toMatchObject({ reason: 'store_timeout' });
      expect(t.logs.lines.filter((l) => l.includes('rate-limit store failed'))).toHaveLength(1);

      proxy.thaw();
      proxy.dropConnections(); // the hung connection is replaced by a fresh one
      await sleep(1_100); // one probe per second
      let recovered = false;
      for (let i = 0; i < 20 && !recovered; i++) {
        await request(t.server).get('/test/rl/sliding-log');
        recovered = events.some((e) => e.type === 'rate_limit.recovered');
        if (!recovered) await sleep(200);
      }
      expect(recovered).toBe(true);
      // Shared again: Redis still remembers the request counted before the outage (4 left, not 5).
      const after = await request(t.server).get('/test/rl/five').expect(200);
      expect(items(after.headers.ratelimit)[0]![1].get('r')).toBe(3);
    });

    it('failOpen: a dropped connection is answered at once from the insurance limiter, never a 500', async () => {
      await boot('failOpen');
      await request(t.server).get('/test/rl/five').expect(200);
      await proxy.stop(); // nothing listens any more
      const during = [];
      for (let i = 0; i < 6; i++) during.push(await timed('/test/rl/five'));
      expect(during.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
      for (const r of during) expect(r.ms).toBeLessThan(COMMAND_TIMEOUT_MS);
      expect(events.filter((e) => e.type === 'rate_limit.degraded')).toHaveLength(1);
    });

    it('failClosed: 503 problem+json within the deadline, never a 500', async () => {
      await boot('failClosed');
      proxy.freeze();
      for (let i = 0; i < 4; i++) {
        const started = performance.now();
        const res = await request(t.server).get('/test/rl/five');
        expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS);
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
        expect(res.headers['retry-after']).toBe('1');
      }
      expect(events.filter((e) => e.type === 'rate_limit.degraded')).toHaveLength(1);
    });
  });
});
