import { SecurityEvents, type Store } from '@rampart/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../../test/utils/redis';
import { ThreatService } from './threat.service';
import { resolveThreatOptions, type ThreatModuleOptions } from './threat.options';

/** Behaviour signals and bans as two instances sharing one store see them, on every backend. */
describeEachBackend('ThreatService behaviour and bans', (backend, keyPrefix) => {
  let store: Store;
  const service = (options: ThreatModuleOptions = {}): ThreatService =>
    new ThreatService(
      // banCacheMs 0: each instance reads the store, so what one writes the other sees at once.
      resolveThreatOptions({ keyPrefix: 'threat:', ...options, store: { banCacheMs: 0, deadlineMs: 2_000 } }),
      store,
      new SecurityEvents(),
    );
  beforeAll(async () => {
    store = await backend.store(keyPrefix);
  });
  afterAll(() => store.close());

  it('shares a ban between instances, and lifts it everywhere', async () => {
    const [a, b] = [service(), service()];
    await a.ban('198.51.100.1', { ttlMs: 60_000, reasons: ['manual'] });
    expect(await b.getBan('198.51.100.1')).toMatchObject({ kind: 'ban', reasons: ['manual'] });
    expect(await b.lookupBan('198.51.100.1')).toMatchObject({ kind: 'ban' });
    expect(await b.unban('198.51.100.1')).toBe(true);
    expect(await a.getBan('198.51.100.1')).toBeUndefined();
    expect(await a.unban('198.51.100.1')).toBe(false);
  });

  it('lists the bans in force across instances, ending first first, and drops lifted and expired ones', async () => {
    const prefix = `list-${Date.now()}:`;
    const [a, b] = [service({ keyPrefix: prefix }), service({ keyPrefix: prefix })];
    await a.ban('198.51.100.20', { ttlMs: 60_000, reasons: ['manual'] });
    await b.ban('198.51.100.21', { ttlMs: 30_000, reasons: ['scanning'], kind: 'block' });
    await a.ban('198.51.100.22', { ttlMs: 50 });
    await b.ban('198.51.100.23', { ttlMs: 90_000 });
    await b.unban('198.51.100.23');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await b.listBans()).toEqual([
      { client: '198.51.100.21', kind: 'block', reasons: ['scanning'], until: expect.any(Number) },
      { client: '198.51.100.20', kind: 'ban', reasons: ['manual'], until: expect.any(Number) },
    ]);
    expect(await a.listBans(1)).toHaveLength(1);
  });

  it('forgets a ban after its TTL', async () => {
    const threat = service();
    await threat.ban('198.51.100.2', { ttlMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await threat.getBan('198.51.100.2')).toBeUndefined();
  });

  it('counts one client’s requests across instances and blocks it past the rate', async () => {
    const options: ThreatModuleOptions = { mode: 'block', behaviour: { requestRate: { limit: 10, score: 80 } } };
    const [a, b] = [service(options), service(options)];
    for (let i = 0; i < 5; i++) {
      expect(await a.observe('198.51.100.3', 'GET /items', 200)).toEqual([]);
      expect(await b.observe('198.51.100.3', 'GET /items', 200)).toEqual([]);
    }
    const signals = await a.observe('198.51.100.3', 'GET /items', 200);
    expect(signals.map((s) => s.reason)).toEqual(['request_rate']);
    expect(await b.getBan('198.51.100.3')).toMatchObject({ kind: 'block', reasons: ['request_rate'] });
  });

  it('sees distinct endpoints from both instances as scanning', async () => {
    const options: ThreatModuleOptions = { mode: 'monitor', behaviour: { scanning: { limit: 4 } } };
    const [a, b] = [service(options), service(options)];
    for (let i = 0; i < 2; i++) {
      await a.observe('198.51.100.4', `GET /a${i}`, 404);
      await b.observe('198.51.100.4', `GET /b${i}`, 404);
    }
    const signals = await a.observe('198.51.100.4', 'GET /c', 404);
    expect(signals.find((s) => s.reason === 'scanning')?.value).toBe(5);
  });

  it('counts failed logins per IP and distinct IPs per account across instances', async () => {
    const options: ThreatModuleOptions = {
      mode: 'monitor',
      behaviour: { failedLogins: { perIp: 3, ipsPerAccount: 3 } },
    };
    const [a, b] = [service(options), service(options)];
    await a.recordFailedLogin({ ip: '198.51.100.5', account: 'bob@example.com' });
    await b.recordFailedLogin({ ip: '198.51.100.6', account: 'bob@example.com' });
    await a.recordFailedLogin({ ip: '198.51.100.7', account: 'bob@example.com' });
    const verdict = await b.recordFailedLogin({ ip: '198.51.100.8', account: 'bob@example.com' });
    expect(verdict).toMatchObject({ ipsForAccount: 4, passwordSpraying: true });
  });
});
