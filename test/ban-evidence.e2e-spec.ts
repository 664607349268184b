import { ThreatService } from '@rampart/threat';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer } from './utils/auth';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

const XSS = encodeURIComponent('<script>alert(document.cookie)</script>');
const attack = `/test/context?q=${XSS}`;
const from = (ip: string): Record<string, string> => ({ 'X-Forwarded-For': ip });
/** What a browser sends for `<img src="https://api/…">` on another site's page. */
const CROSS_SITE_IMG = { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Dest': 'image' };
const CROSS_SITE_LINK = { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' };

describe.each(PLATFORMS)('who a ban can hit (%s)', (platform) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function boot(overrides: TestConfig = {}): Promise<{ app: TestApp; threat: ThreatService }> {
    t = await startApp(platform, { ...overrides, threat: { mode: 'ban', ...overrides.threat } });
    return { app: t, threat: t.app.get(ThreatService) };
  }

  it('a single anonymous GET with an injection is refused but bans nobody', async () => {
    const { app, threat } = await boot();
    expect((await request(app.server).get(attack).set(from('198.51.100.20'))).status).toBe(403);
    expect(await threat.getBan('198.51.100.20')).toBeUndefined();
    expect((await request(app.server).get('/test/context').set(from('198.51.100.20'))).status).toBe(200);
  });

  it("cross-site subresources and navigations (a third-party page's <img>, a link) never ban, however many", async () => {
    const { app, threat } = await boot();
    for (const headers of [CROSS_SITE_IMG, CROSS_SITE_LINK, CROSS_SITE_IMG, CROSS_SITE_LINK, CROSS_SITE_IMG]) {
      expect((await request(app.server).get(attack).set(from('198.51.100.21')).set(headers)).status).toBe(403);
    }
    expect(await threat.getBan('198.51.100.21')).toBeUndefined();
    expect((await request(app.server).get('/test/context').set(from('198.51.100.21'))).status).toBe(200);
  });

  it('a sustained attack (three refused requests) bans the sender, and only the sender', async () => {
    const { app, threat } = await boot();
    for (let i = 0; i < 3; i++) {
      expect((await request(app.server).get(`${attack}&i=${i}`).set(from('198.51.100.22'))).status).toBe(403);
    }
    expect(await threat.getBan('198.51.100.22')).toMatchObject({ kind: 'ban' });
    expect((await request(app.server).get('/test/context').set(from('198.51.100.22'))).status).toBe(403);
    expect((await request(app.server).get('/test/context').set(from('198.51.100.23'))).status).toBe(200);
  });

  it('a spoofed X-Forwarded-For from an untrusted peer bans nobody it names', async () => {
    const { app, threat } = await boot({ trustedProxies: [] });
    for (let i = 0; i < 5; i++) {
      expect((await request(app.server).get(attack).set(from('198.51.100.24'))).status).toBe(403);
    }
    expect(await threat.getBan('198.51.100.24')).toBeUndefined();
  });

  it('a malformed X-Forwarded-For is a 400 and bans nobody, least of all the proxy and the clients behind it', async () => {
    const { app, threat } = await boot();
    for (let i = 0; i < 5; i++) {
      expect((await request(app.server).get(attack).set('X-Forwarded-For', 'not-an-ip')).status).toBe(400);
    }
    expect(await threat.getBan('127.0.0.1')).toBeUndefined();
    // A client the proxy forwards without the header is the proxy's peer address: still served.
    expect((await request(app.server).get('/test/context')).status).toBe(200);
  });

  it("answers a banned client's undecodable path with the 400 everyone gets, not its ban", async () => {
    const { app, threat } = await boot();
    expect(await threat.ban('198.51.100.25')).toBe(true);
    expect((await request(app.server).get('/test/context').set(from('198.51.100.25'))).status).toBe(403);
    const res = await request(app.server).get('/%ff').set(from('198.51.100.25'));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.text).not.toContain('%ff');
  });

  it('refuses to ban a trusted proxy, by the service or by a sustained attack through it', async () => {
    const { app, threat } = await boot();
    expect(await threat.ban('127.0.0.1')).toBe(false);
    expect(await threat.ban('::ffff:7f00:1')).toBe(false);
    expect(await threat.ban('::1')).toBe(false);
    for (let i = 0; i < 4; i++) expect((await request(app.server).get(attack)).status).toBe(403);
    expect(await threat.getBan('127.0.0.1')).toBeUndefined();
    expect((await request(app.server).get('/test/context')).status).toBe(200);
  });
});

describe.each(PLATFORMS)('IPv6 prefixes and spellings (%s)', (platform) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('2,000 addresses of one /64 share one rate limit', async () => {
    t = await startApp(platform, { rateLimit: { perIpPerMinute: 100 } });
    const server = t.server;
    const statuses = new Map<number, number>();
    const addresses = Array.from({ length: 2_000 }, (_, i) => `2001:db8:aa:bb:${(i + 1).toString(16)}::${i % 7}`);
    const startedAt = Date.now();
    for (let start = 0; start < addresses.length; start += 50) {
      const batch = addresses.slice(start, start + 50);
      const results = await Promise.all(batch.map((ip) => request(server).get('/test/context').set(from(ip))));
      for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    // One limit of 100 (keyed per address, all 2,000 would pass). When the run straddles a minute
    // boundary, the sliding window weighs the last minute's 100 by the part of it still in the
    // window, so it admits up to 100 × (time past the boundary / 1 min) more: on a loaded machine
    // the run takes tens of seconds.
    const endedAt = Date.now();
    const MINUTE = 60_000;
    const pastBoundary = Math.floor(startedAt / MINUTE) === Math.floor(endedAt / MINUTE) ? 0 : endedAt % MINUTE;
    const allowed = statuses.get(200) ?? 0;
    expect(allowed).toBeGreaterThanOrEqual(100);
    expect(allowed).toBeLessThanOrEqual(110 + Math.ceil((100 * pastBoundary) / MINUTE));
    expect(statuses.get(429)).toBe(2_000 - allowed);
    // Another /64 has its own limit.
    expect((await request(server).get('/test/context').set(from('2001:db8:aa:bc::1'))).status).toBe(200);
  }, 120_000);

  it('bans a /64 and the admin API lifts it with any spelling of any of its addresses', async () => {
    t = await startApp(platform, { threat: { mode: 'ban' } });
    const threat = t.app.get(ThreatService);
    const admin = await bearer(t.app, 'u-admin');
    expect(await threat.ban('2001:db8:cc:dd::5')).toBe(true);
    expect((await request(t.server).get('/test/context').set(from('2001:db8:cc:dd:ffff::1'))).status).toBe(403);
    const uncompressed = encodeURIComponent('2001:0DB8:00CC:00DD:0000:0000:0000:0009');
    expect((await request(t.server).delete(`/admin/bans/${uncompressed}`).set(admin)).status).toBe(204);
    expect((await request(t.server).get('/test/context').set(from('2001:db8:cc:dd::5'))).status).toBe(200);

    expect(await threat.ban('203.0.113.9')).toBe(true);
    const hexMapped = encodeURIComponent('::ffff:cb00:7109');
    expect((await request(t.server).delete(`/admin/bans/${hexMapped}`).set(admin)).status).toBe(204);
    expect((await request(t.server).delete(`/admin/bans/${hexMapped}`).set(admin)).status).toBe(404);
  });
});
