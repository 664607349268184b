import { MemoryStore, SecurityEvents, type Store, type StoreScript } from '@rampart/core';
import { LoginThrottle, StoreRateLimitStorage } from '@rampart/rate-limit';
import { ThreatService } from '@rampart/threat';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OAuthState, randomToken } from '../libs/oauth-server/src/grants/oauth-state';
import { declaredStoreScripts } from '../libs/core/src/store/store';
import { resolveRateLimitOptions } from '../libs/rate-limit/src/rate-limit.options';
import { resolveThreatOptions } from '../libs/threat/src/threat.options';
import { resolvedTier as tier } from '@rampart/testing';
import { clusterClient, describeWithCluster } from './utils/redis';

interface Call {
  script: string;
  keys: readonly string[];
}

/** A memory store that records the keys every script is run with. */
class RecordingStore extends MemoryStore {
  readonly calls: Call[] = [];
  override run<R>(script: StoreScript<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R> {
    this.calls.push({ script: script.name, keys: [...keys] });
    return super.run(script, keys, args);
  }
}

/** Drives every lib that runs store scripts through each of its script calls, including hostile input. */
async function exerciseEveryScript(store: Store): Promise<void> {
  const limiter = new StoreRateLimitStorage(store);
  const tiers = [
    tier('minute', 5, 60_000, 'sliding-window', 30_000),
    tier('hour', 50, 3_600_000, 'sliding-log'),
    tier('day', 500, 86_400_000, 'token-bucket'),
  ];
  // Identities come from clients: braces in them must not split a decision across slots.
  for (const identity of ['ip:203.0.113.7', 'user:}{', 'key:{x}', '}', '{}', 'ip:2001:db8::/64'])
    await limiter.decide(`api|${identity}`, tiers, 1);

  const oauth = new OAuthState(store);
  const code = randomToken();
  const record = {
    clientId: 'spa',
    redirectUri: 'https://app.example/cb',
    redirectUriGiven: true,
    state: 's',
    codeChallenge: 'c'.repeat(43),
    scopes: ['a'],
    resources: [],
    user: { id: 'u1' },
    authTime: 1,
  };
  await oauth.saveCode(code, record, 60_000);
  await oauth.consumeCode(code, 'g1', 60_000);
  const grant = randomToken(16);
  const first = `${grant}.${randomToken()}`;
  await oauth.createFamily(
    grant,
    { clientId: 'spa', user: { id: 'u1' }, scopes: ['a'], resources: [], authTime: 1, expiresAt: Date.now() + 60_000 },
    first,
    60_000,
    60_000,
  );
  await oauth.currentRefreshHash(grant);
  await oauth.rotateRefresh(grant, first, `${grant}.${randomToken()}`, {
    idleMs: 60_000,
    endsAt: Date.now() + 60_000,
    graceMs: 0,
  });
  await oauth.addToGrant(grant, { jti: 'j1', exp: Math.floor(Date.now() / 1000) + 60 }, 60_000);
  await oauth.revokeGrant(grant, 60_000);

  const threat = new ThreatService(resolveThreatOptions({ mode: 'monitor' }), store, new SecurityEvents());
  for (const client of ['203.0.113.9', '2001:db8::1', '}{']) await threat.observe(client, 'GET /items/:id', 404);
  await threat.recordFailedLogin({ ip: '203.0.113.9', account: 'alice@example.com' });
  await threat.recordFailedLogin({ ip: '203.0.113.9' });
  await threat.ban('203.0.113.77', { ttlMs: 60_000 });
  await threat.listBans();
  await threat.unban('203.0.113.77');

  const login = new LoginThrottle(resolveRateLimitOptions({ store: store }), store);
  await login.attempt({ ip: '203.0.113.9', account: '}{alice' }, () => true);
  await login.attempt({ ip: '2001:db8::1', account: 'bob' }, () => false);
}

describeWithCluster('every store script on Redis Cluster', () => {
  const store = new RecordingStore();
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = clusterClient();
    await exerciseEveryScript(store);
  });
  afterAll(async () => {
    await cluster.quit();
  });

  it('was exercised: a script added without a case here fails this test', () => {
    const exercised = new Set(store.calls.map((call) => call.script));
    const declared = declaredStoreScripts().map((script) => script.name);
    expect(declared.length).toBeGreaterThanOrEqual(10);
    for (const name of declared) expect(exercised, `script ${name} never ran`).toContain(name);
  });

  it('keeps all the keys of each call in one CLUSTER KEYSLOT', async () => {
    // A script's keys in two slots fail on a cluster with CROSSSLOT; the store adds its prefix first.
    for (const call of store.calls) {
      const slots = await Promise.all(call.keys.map((key) => cluster.cluster('KEYSLOT', `rampart:${key}`)));
      expect(new Set(slots).size, `${call.script} ${JSON.stringify(call.keys)} → slots ${slots.join(',')}`).toBe(1);
    }
  });
});
