import { MemoryStore, SecurityEvents, type Store, type StoreScript } from '@rampart/core';
import { LoginThrottle, StoreRateLimitStorage } from '@rampart/rate-limit';
import { ThreatService } from '@rampart/threat';
import type { Cluster } from 'ioredis';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlertEngine } from '../libs/audit/src/alerts/alert-engine';
import type { AuditEvent } from '../libs/audit/src/audit-event';
import { RedisApiKeyStorage } from '../libs/auth/src/api-keys/storage/redis-api-key.storage';
import { OAuthState, randomToken } from '../libs/oauth-server/src/grants/oauth-state';
import { declaredStoreScripts } from '../libs/core/src/store/store';
import { resolveRateLimitOptions } from '../libs/rate-limit/src/rate-limit.options';
import { resolveThreatOptions } from '../libs/threat/src/threat.options';
import { resolvedTier as tier } from '@rampart/testing';
import { clusterClient, describeWithCluster, uniqueKeyPrefix } from './utils/redis';

const ROOT = join(__dirname, '..');
/** A call of `defineStoreScript` (not an import or re-export of it). */
const DEFINES_SCRIPT = /defineStoreScript\s*(<[^(]*>)?\s*\(/;

/** Every library source file (specs and the test kit's fixtures aside), relative to the repository. */
function librarySources(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) files.push(relative(ROOT, path));
    }
  };
  for (const lib of readdirSync(join(ROOT, 'libs'))) {
    // @rampart/testing's Lua is a fixture of its own contract suites, run by their specs.
    if (lib !== 'testing') walk(join(ROOT, 'libs', lib, 'src'));
  }
  return files;
}

/**
 * Lua that runs outside `defineStoreScript` (so `declaredStoreScripts()` cannot list it), each
 * with the case that covers it; a new file with `redis.call` fails the discovery test until it
 * is added here or moved to `defineStoreScript`.
 */
const RAW_LUA: Record<string, string> = {
  'libs/audit/src/sinks/redis-stream.sink.ts':
    'APPEND: one key (the stream), run on the cluster by libs/audit/src/history/audit-history.contract.spec.ts',
  'libs/auth/src/api-keys/storage/redis-api-key.storage.ts': 'run on the cluster below (RedisApiKeyStorage)',
  'libs/core/src/store/redis.store.ts': 'rampartIncrement: one key (Store.increment), covered by the store contract',
};

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

  // Audit alerts: a threshold of 1 opens an incident at once, a 1 ms window lets it end.
  const alerts = new AlertEngine(
    store,
    [{ name: 'probe', types: ['auth.failure'], groupBy: 'clientIp', threshold: 1, windowMs: 1 }],
    [],
    'audit:',
    60_000,
    () => undefined,
  );
  for (const clientIp of ['203.0.113.9', '}{', '{x}']) {
    const event = { time: new Date().toISOString(), type: 'auth.failure', severity: 'medium', outcome: 'failure' };
    await alerts.write([{ ...event, clientIp, instance: 'test' } as AuditEvent]);
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
  await alerts.checkRecoveries();
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

  it('declares every Lua script of the libraries: each file that defines one is loaded here', async () => {
    const sources = librarySources();
    const defining = sources.filter((file) => DEFINES_SCRIPT.test(readFileSync(join(ROOT, file), 'utf8')));
    // Imported, their scripts join declaredStoreScripts(), which the next test requires to have run.
    for (const file of defining) await import(join(ROOT, file));
    expect(defining.length).toBeGreaterThanOrEqual(6);
    const raw = sources.filter((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      return text.includes('redis.call(') && !DEFINES_SCRIPT.test(text);
    });
    expect(raw.sort()).toEqual(Object.keys(RAW_LUA).sort());
  });

  it('was exercised: a script added without a case here fails this test', () => {
    const exercised = new Set(store.calls.map((call) => call.script));
    // rampartTest*: @rampart/testing's fixtures for its contract suites (imported above for resolvedTier).
    const declared = declaredStoreScripts()
      .map((script) => script.name)
      .filter((name) => !name.startsWith('rampartTest'));
    expect(declared.length).toBeGreaterThanOrEqual(17);
    for (const name of declared) expect(exercised, `script ${name} never ran`).toContain(name);
  });

  it('keeps all the keys of each call in one CLUSTER KEYSLOT', async () => {
    // A script's keys in two slots fail on a cluster with CROSSSLOT; the store adds its prefix first.
    for (const call of store.calls) {
      const slots = await Promise.all(call.keys.map((key) => cluster.cluster('KEYSLOT', `rampart:${key}`)));
      expect(new Set(slots).size, `${call.script} ${JSON.stringify(call.keys)} → slots ${slots.join(',')}`).toBe(1);
    }
  });

  it('runs the API-key scripts on the cluster, the record and the index in one slot', async () => {
    const prefix = `${uniqueKeyPrefix('api-keys')}auth:`;
    const keys = new RedisApiKeyStorage(cluster, prefix);
    const record = {
      id: 'k1',
      name: 'ci',
      scopes: ['read'],
      ownerId: '}{owner',
      createdAt: Date.now(),
      hash: 'h'.repeat(43),
    };
    try {
      // Raw EVAL on a cluster fails with CROSSSLOT unless both keys hash to one slot.
      expect(await keys.insert(record)).toBe(true);
      expect(await keys.insert(record)).toBe(false);
      expect(await keys.setSecrets('k1', { hash: 'g'.repeat(43) })).toBe(true);
      expect(await keys.revoke('k1', 1)).toBe(true);
      expect(await keys.revoke('k1', 2)).toBe(true);
      await keys.touch('k1', 3);
      expect(await keys.get('k1')).toMatchObject({ id: 'k1', hash: 'g'.repeat(43), revokedAt: 1, lastUsedAt: 3 });
      expect((await keys.list()).map((r) => r.id)).toEqual(['k1']);
      const slots = await Promise.all(
        [`${prefix}{apikeys}:key:k1`, `${prefix}{apikeys}:index`].map((key) => cluster.cluster('KEYSLOT', key)),
      );
      expect(new Set(slots).size).toBe(1);
    } finally {
      await cluster.del(`${prefix}{apikeys}:key:k1`, `${prefix}{apikeys}:index`);
    }
  });
});
