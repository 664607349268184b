import { Logger } from '@nestjs/common';
import { TokenRevocationList } from '@rampart/auth';
import { MemoryStore, RedisStore, SecurityEvents, StoreUnavailableError, type Store } from '@rampart/core';
import { LoginThrottle } from '@rampart/rate-limit';
import { ThreatService } from '@rampart/threat';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OAuthState, type CodeRecord } from '../libs/oauth-server/src/grants/oauth-state';
import { resolveRateLimitOptions } from '../libs/rate-limit/src/rate-limit.options';
import { resolveThreatOptions } from '../libs/threat/src/threat.options';
import { describeWithPrivateRedis, startPrivateRedis, type PrivateRedis } from './utils/private-redis';
import { startApp } from './utils/test-app';

const FLOOD = 200_000;
const MINUTES_15 = 15 * 60_000;

/** The address of the `i`-th flooding client: 200,000 distinct IPv4 addresses in 10.0.0.0/8. */
const floodIp = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

interface SecurityState {
  threat: ThreatService;
  logins: LoginThrottle;
  revocations: TokenRevocationList;
  oauth: OAuthState;
}

function services(store: Store): SecurityState {
  return {
    threat: new ThreatService(
      resolveThreatOptions({ keyPrefix: 'threat:eviction:', store: { banCacheMs: 0 } }),
      store,
      new SecurityEvents(),
    ),
    logins: new LoginThrottle(resolveRateLimitOptions({ keyPrefix: 'rl:eviction:', store: 'core' }), store),
    revocations: new TokenRevocationList(store),
    oauth: new OAuthState(store),
  };
}

/** A ban, a login block, a revoked token and a one-time code, each in force for 15 minutes. */
async function writeState(state: SecurityState): Promise<void> {
  const { threat, logins, revocations, oauth } = state;
  expect(await threat.ban('198.51.100.77', { ttlMs: MINUTES_15, reasons: ['manual'] })).toBe(true);
  for (let i = 0; i < 25; i++) {
    await logins
      .attempt({ ip: '198.51.100.78', account: `victim${i}@acme.test` }, () => undefined)
      .catch(() => undefined);
  }
  await revocations.revoke('revoked-jti-1', Math.floor((Date.now() + MINUTES_15) / 1000));
  const code = { clientId: 'demo-spa' } as unknown as CodeRecord;
  expect(await oauth.saveCode('one-time-code-1', code, MINUTES_15)).toBe(true);
  await expectStateIntact(state);
}

async function expectStateIntact({ threat, logins, revocations, oauth }: SecurityState): Promise<void> {
  expect(await threat.getBan('198.51.100.77')).toMatchObject({ kind: 'ban' });
  await expect(
    logins.attempt({ ip: '198.51.100.78', account: 'other@acme.test' }, () => 'signed in'),
  ).rejects.toMatchObject({
    code: 'RATE_LIMITED',
  });
  expect(await revocations.isRevoked('revoked-jti-1')).toBe(true);
  expect(await oauth.findCode('one-time-code-1')).toMatchObject({ clientId: 'demo-spa' });
}

/**
 * What the attacker controls: per-client behaviour counters (rate, errors, distinct endpoints)
 * for `FLOOD` distinct addresses, written in batches. Resolves to how many writes the store refused.
 */
async function flood(threat: ThreatService): Promise<number> {
  let refused = 0;
  for (let start = 0; start < FLOOD; start += 2_000) {
    const batch = Array.from({ length: 2_000 }, (_, j) =>
      threat.observe(floodIp(start + j), `GET /x${j % 50}`, 404).catch(() => refused++),
    );
    await Promise.all(batch);
  }
  return refused;
}

describe('security state cannot be evicted by a flood of distinct clients [memory]', () => {
  it(`keeps a ban, a login block, a revocation and a one-time code through ${FLOOD.toLocaleString('en')} clients`, async () => {
    // The default capacity (100,000 keys) is far below what the flood writes (several keys per client).
    const store = new MemoryStore();
    const state = services(store);
    await writeState(state);
    expect(await flood(state.threat)).toBe(0);
    expect(store.size).toBeGreaterThanOrEqual(100_000);
    await expectStateIntact(state);
  }, 120_000);

  it('refuses new state of a kind whose partition is full, and never drops the state in force', async () => {
    const store = new MemoryStore({ securityStateCapacity: 5 });
    const { threat, revocations } = services(store);
    for (let i = 1; i <= 5; i++) expect(await threat.ban(`198.51.100.${i}`, { ttlMs: MINUTES_15 })).toBe(true);
    await expect(threat.ban('198.51.100.6', { ttlMs: MINUTES_15 })).rejects.toBeInstanceOf(StoreUnavailableError);
    for (let i = 1; i <= 5; i++) expect(await threat.getBan(`198.51.100.${i}`)).toMatchObject({ kind: 'ban' });
    // Kinds are partitioned apart: full bans do not stop revocations.
    await revocations.revoke('jti-after-full-bans', Math.floor(Date.now() / 1000) + 60);
    expect(await revocations.isRevoked('jti-after-full-bans')).toBe(true);
    // Expired state makes room again.
    const short = new MemoryStore({ securityStateCapacity: 1 });
    const shortThreat = services(short).threat;
    expect(await shortThreat.ban('198.51.100.9', { ttlMs: 20 })).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await shortThreat.ban('198.51.100.10', { ttlMs: MINUTES_15 })).toBe(true);
  });

  it('over HTTP: the banned client is still refused after the flood went through the app store', async () => {
    const t = await startApp('express', { threat: { mode: 'ban' } });
    try {
      const threat = t.app.get(ThreatService);
      expect(await threat.ban('198.51.100.79', { ttlMs: MINUTES_15 })).toBe(true);
      expect(await flood(threat)).toBe(0);
      await request(t.server).get('/test/context').set('X-Forwarded-For', '198.51.100.79').expect(403);
      await request(t.server).get('/test/context').set('X-Forwarded-For', '198.51.100.80').expect(200);
    } finally {
      await t.close();
    }
  }, 120_000);
});

describeWithPrivateRedis('security state cannot be evicted by a flood of distinct clients [redis]', () => {
  let redis: PrivateRedis;
  let store: RedisStore;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    // Small enough that the flood runs out of memory: with noeviction, writes are refused instead
    // of anything being evicted.
    const admin = redis.client();
    await admin.config('SET', 'maxmemory', '8mb');
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    admin.disconnect();
    store = await RedisStore.create({ url: redis.url, keyPrefix: 'eviction:' });
  });
  afterAll(async () => {
    await store.close();
    await redis.stop();
  });

  it(`keeps a ban, a login block, a revocation and a one-time code through ${FLOOD.toLocaleString('en')} clients`, async () => {
    const state = services(store);
    await writeState(state);
    const refused = await flood(state.threat);
    // The flood filled Redis: counters were refused (OOM), the state in force was not touched.
    expect(refused).toBeGreaterThan(0);
    // Memory back, so the checks (which write counters of their own) can run.
    const admin = redis.client();
    await admin.config('SET', 'maxmemory', '0');
    admin.disconnect();
    await expectStateIntact(state);
  }, 180_000);

  it('warns at start-up when Redis may evict keys under memory pressure', async () => {
    const admin = redis.client();
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const warn = vi.spyOn(Logger.prototype, 'warn');
    try {
      const evicting = await RedisStore.create({ url: redis.url, keyPrefix: 'eviction-policy:' });
      expect(await evicting.evictionPolicy()).toBe('allkeys-lru');
      await evicting.close();
      expect(warn.mock.calls.some(([message]) => String(message).includes('maxmemory-policy allkeys-lru'))).toBe(true);
    } finally {
      warn.mockRestore();
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      admin.disconnect();
    }
  });
});
