import { ThreatService } from '@rampart/threat';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { bearer } from './utils/auth';
import { authorizeQuery, CLI, pkce, postForm, SPA } from './utils/oauth';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

const SQLI = "1' UNION SELECT password FROM users--";
const from = (ip: string): Record<string, string> => ({ 'X-Forwarded-For': ip });

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((t) => t.close()));
});

async function boot(platform: (typeof PLATFORMS)[number], overrides: TestConfig): Promise<TestApp> {
  const t = await startApp(platform, overrides);
  apps.push(t);
  return t;
}

/** Threat detection in the sample API, composed with the OAuth server, the rate limiter and auth. */
describe.each(PLATFORMS)('threat detection agrees with the other modules (%s)', (platform) => {
  describe('the OAuth server validates its own protocol parameters', () => {
    it('exempts exactly them: an injection in any other parameter of an OAuth route is still refused', async () => {
      const t = await boot(platform, { threat: { mode: 'block' } });
      const query = authorizeQuery(
        pkce().challenge,
        { redirect_uri: 'http://127.0.0.1:8123/cli/callback', scope: 'notes:read' },
        CLI,
      );
      // The standard request (a native app's loopback redirect URI, RFC 8252) reaches the server.
      expect((await request(t.server).get(`/oauth/authorize?${query}`)).status).toBe(302);
      const extra = await request(t.server).get(`/oauth/authorize?${query}&debug=${encodeURIComponent(SQLI)}`);
      expect(extra.status).toBe(403);
      expect(extra.body.code).toBe('THREAT_DETECTED');
      const token = await postForm(t.server, '/oauth/token', {
        grant_type: 'authorization_code',
        client_id: SPA.id,
        code: 'x'.repeat(43),
        note: SQLI,
      });
      expect(token.status).toBe(403);
      // An OAuth route's exemption is not another route's: the same name elsewhere is inspected.
      const elsewhere = await request(t.server).get(`/health?redirect_uri=${encodeURIComponent(SQLI)}`);
      expect(elsewhere.status).toBe(403);
    });

    it('refuses a state that is not printable ASCII itself (RFC 6749 Appendix A.5), without echoing it', async () => {
      const t = await boot(platform, { threat: { mode: 'block' } });
      const res = await request(t.server).get(
        `/oauth/authorize?${authorizeQuery(pkce().challenge, { state: 'a\u0000b' })}`,
      );
      expect(res.status).toBe(302);
      const location = new URL(res.headers.location as string);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBeNull();
    });
  });

  describe('behaviour bans count what the client did, not what the other modules answered', () => {
    it('does not ban a user who exhausts their own rate limit: /health and other routes still answer', async () => {
      const t = await boot(platform, {
        rateLimit: { ...loadConfig({}).rateLimit, writesPerMinute: 5 },
        threat: { mode: 'ban', behaviour: { requestRate: { limit: 100 } } },
      });
      const alice = { ...(await bearer(t.app, 'u-alice')), ...from('198.51.100.40') };
      const statuses: number[] = [];
      // 120 writes in a minute: over the request-rate signal (100, score 30), and 115 of them 429.
      for (let i = 0; i < 120; i++) {
        statuses.push((await request(t.server).post('/notes').set(alice).send({ title: 't', body: 'b' })).status);
      }
      expect(statuses.filter((s) => s === 429).length).toBe(115);
      await t.app.get(ThreatService).flushObservations(); // the batched responses reach the store
      expect(await t.app.get(ThreatService).getBan('198.51.100.40')).toBeUndefined();
      await request(t.server).get('/health').set(from('198.51.100.40')).expect(200);
      await request(t.server).get('/notes').set(alice).expect(200);
    });

    it('still counts 429s as errors when configured to (ignoreStatuses: [])', async () => {
      const t = await boot(platform, {
        rateLimit: { ...loadConfig({}).rateLimit, writesPerMinute: 5 },
        threat: { mode: 'ban', behaviour: { requestRate: { limit: 100 }, errorRate: { ignoreStatuses: [] } } },
      });
      const alice = { ...(await bearer(t.app, 'u-alice')), ...from('198.51.100.41') };
      for (let i = 0; i < 120; i++) await request(t.server).post('/notes').set(alice).send({ title: 't', body: 'b' });
      await t.app.get(ThreatService).flushObservations();
      expect(await t.app.get(ThreatService).getBan('198.51.100.41')).toMatchObject({
        reasons: ['request_rate', 'error_rate'],
      });
    });

    it('does not ban a client for a flood of refused credentials (401)', async () => {
      const t = await boot(platform, { threat: { mode: 'ban', behaviour: { requestRate: { limit: 100 } } } });
      const stale = { Authorization: 'Bearer expired.or.wrong', ...from('198.51.100.42') };
      for (let i = 0; i < 120; i++) await request(t.server).get('/notes').set(stale);
      await t.app.get(ThreatService).flushObservations();
      expect(await t.app.get(ThreatService).getBan('198.51.100.42')).toBeUndefined();
      await request(t.server)
        .get('/notes')
        .set({ ...(await bearer(t.app, 'u-alice')), ...from('198.51.100.42') })
        .expect(200);
    });
  });

  describe('a ban never locks out the routes exempt from it', () => {
    it('lets a banned client reach /health (exactly that path), and nothing else', async () => {
      const t = await boot(platform, { threat: { mode: 'ban' } });
      await t.app.get(ThreatService).ban('198.51.100.50', { reasons: ['manual'] });
      const banned = from('198.51.100.50');
      await request(t.server).get('/health').set(banned).expect(200);
      await request(t.server).get('/health?probe=1').set(banned).expect(200);
      expect((await request(t.server).get('/notes').set(banned)).status).toBe(403);
      expect((await request(t.server).get('/health/../notes').set(banned)).status).toBe(403);
      expect((await request(t.server).get('/HEALTH').set(banned)).status).toBe(403);
    });
  });
});

function adminApi(platform: (typeof PLATFORMS)[number], redis: string | undefined): void {
  it('lists bans and blocks in force and lifts them, for admins only, on every instance', async () => {
    const shared: TestConfig = {
      redisUrl: redis,
      threat: { ...loadConfig({}).threat, mode: 'ban', keyPrefix: `threat:${crypto.randomUUID()}:`, banTtlMs: 60_000 },
    };
    const one = await boot(platform, shared);
    // A second instance on the same Redis sees and lifts the same bans.
    const two = redis ? await boot(platform, shared) : one;
    const threat = one.app.get(ThreatService);
    await threat.ban('198.51.100.60', { reasons: ['manual'] });
    await threat.ban('2001:db8::61', { reasons: ['scanning'], kind: 'block', ttlMs: 30_000 });
    const admin = await bearer(two.app, 'u-admin');

    const listed = await request(two.server).get('/admin/bans').set(admin).expect(200);
    expect(listed.body).toEqual([
      // IPv6 clients are banned by their /64 (core's clientPrefixes), listed in one canonical spelling.
      { client: '2001:db8::/64', kind: 'block', reasons: ['scanning'], until: expect.any(Number) },
      { client: '198.51.100.60', kind: 'ban', reasons: ['manual'], until: expect.any(Number) },
    ]);
    expect(
      (
        await request(two.server)
          .get('/admin/bans')
          .set(await bearer(two.app, 'u-alice'))
      ).status,
    ).toBe(403);

    await request(two.server).delete('/admin/bans/198.51.100.60').set(admin).expect(204);
    const after = await request(one.server)
      .get('/admin/bans')
      .set(await bearer(one.app, 'u-admin'))
      .expect(200);
    expect((after.body as { client: string }[]).map((b) => b.client)).toEqual(['2001:db8::/64']);
    // Lifted everywhere: the client is served again (past the other instance's 1 s ban cache).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await request(one.server).get('/notes').set(from('198.51.100.60')).expect(401);
  });
}

describe.each(PLATFORMS)('ban admin API (%s, memory store)', (platform) => {
  adminApi(platform, undefined);
});

describeWithRedis('ban admin API on Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    adminApi(platform, redisUrl);
  });
});
