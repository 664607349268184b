import { MemoryStore, RedisStore, type Store } from '@rampart/core';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachBackend } from '../../../../test/utils/redis';
import { TokenRevocationList } from './token-revocation';

const inAnHour = (): number => Math.floor(Date.now() / 1000) + 3_600;

/** Waits until the list's subscription is confirmed (it then remembers "not revoked" answers). */
async function confirmed(list: TokenRevocationList): Promise<void> {
  await vi.waitFor(() => expect(list['memory'].confirmed).toBe(true), { timeout: 10_000 });
}

/**
 * Two instances of an application, each with its own connection to the shared store: what one
 * revokes, the other refuses, although it remembered the token as not revoked.
 */
describeEachBackend('TokenRevocationList on two instances', (backend, keyPrefix) => {
  let stores: Store[];
  let a: TokenRevocationList;
  let b: TokenRevocationList;
  beforeAll(async () => {
    // Memory is one process: both instances share the one store.
    const shared = backend.name === 'memory' ? await backend.store(keyPrefix) : undefined;
    stores = shared ? [shared] : [await backend.store(keyPrefix), await backend.store(keyPrefix)];
    a = new TokenRevocationList(stores[0]);
    b = new TokenRevocationList(stores[1] ?? stores[0]);
    await Promise.all([confirmed(a), confirmed(b)]);
  });
  afterAll(async () => {
    a.onModuleDestroy();
    b.onModuleDestroy();
    await Promise.all(stores.map((store) => store.close()));
  });

  it('reads the store once per token, then answers from memory', async () => {
    const jti = randomUUID();
    const get = vi.spyOn(stores[0]!, 'get');
    expect(await a.isRevoked(jti)).toBe(false);
    expect(await a.isRevoked(jti)).toBe(false);
    expect(await a.isRevoked(jti)).toBe(false);
    expect(get).toHaveBeenCalledTimes(1);
    get.mockRestore();
  });

  it('refuses a token revoked by the other instance as soon as the notice arrives', async () => {
    const jti = randomUUID();
    expect(await a.isRevoked(jti)).toBe(false); // remembered as not revoked
    await b.revoke(jti, inAnHour());
    // The PUBLISH reply comes after Redis queued the notice to every subscriber: it arrives within
    // the delivery time (auth README "Revocation list": 0.13 ms median, 10 ms p99 under load).
    await expect.poll(() => a.isRevoked(jti), { timeout: 2_000, interval: 5 }).toBe(true);
    // The revoking instance at once.
    expect(await b.isRevoked(jti)).toBe(true);
  });

  it('does not remember an answer read while a notice for the token arrived', async () => {
    const jti = randomUUID();
    const get = vi.spyOn(stores[0]!, 'get');
    const check = a.isRevoked(jti); // its read is on the way
    a['memory'].generation++; // what a notice (or a change of subscription) does meanwhile
    expect(await check).toBe(false);
    expect(await a.isRevoked(jti)).toBe(false);
    expect(get).toHaveBeenCalledTimes(2);
    get.mockRestore();
  });
});

describeEachBackend(
  'TokenRevocationList when its subscription is lost',
  (backend, keyPrefix) => {
    it('forgets what it remembered and reads the store until subscribed again', async () => {
      const [one, two] = [await backend.store(keyPrefix), await backend.store(keyPrefix)];
      const a = new TokenRevocationList(one);
      const b = new TokenRevocationList(two);
      try {
        await confirmed(a);
        const jti = randomUUID();
        expect(await a.isRevoked(jti)).toBe(false);
        // The subscriber's connection drops (a network failure): a notice sent now is lost to it.
        const subscriber = (one as RedisStore)['notices']?.['subscriber'];
        subscriber?.stream.destroy();
        await expect.poll(() => a['memory'].confirmed, { timeout: 5_000, interval: 1 }).toBe(false);
        await b.revoke(jti, inAnHour());
        expect(await a.isRevoked(jti)).toBe(true);
        // Subscribed again (ioredis reconnects; on a cluster, through the next node): remembering resumes.
        await confirmed(a);
        const other = randomUUID();
        const get = vi.spyOn(one, 'get');
        await a.isRevoked(other);
        await a.isRevoked(other);
        expect(get).toHaveBeenCalledTimes(1);
      } finally {
        a.onModuleDestroy();
        b.onModuleDestroy();
        await Promise.all([one.close(), two.close()]);
      }
    });
  },
  ['redis', 'cluster'],
);

it('reads the store on every check when the store has no pub/sub', async () => {
  const memory = new MemoryStore();
  const store: Store = {
    kind: 'memory',
    get: (key) => memory.get(key),
    set: (key, value, options) => memory.set(key, value, options),
    delete: (key) => memory.delete(key),
    increment: (key, options) => memory.increment(key, options),
    take: (key) => memory.take(key),
    run: (script, keys, args) => memory.run(script, keys, args),
    ping: () => memory.ping(),
    close: () => memory.close(),
  };
  const list = new TokenRevocationList(store);
  const get = vi.spyOn(store, 'get');
  await list.isRevoked('jti-1');
  await list.isRevoked('jti-1');
  expect(get).toHaveBeenCalledTimes(2);
  await list.revoke('jti-1', inAnHour());
  expect(await list.isRevoked('jti-1')).toBe(true);
});

it('remembers at most 10 000 tokens as not revoked, however many distinct ones are checked', async () => {
  const store = new MemoryStore();
  const list = new TokenRevocationList(store);
  await confirmed(list);
  const first = randomUUID();
  await list.isRevoked(first);
  for (let i = 0; i < 12_000; i++) {
    await list.isRevoked(`jti-${i}`);
    if (i % 1_000 === 0) await list.isRevoked(first); // in use: the least recently used go first
  }
  expect(list['memory'].notRevoked.size).toBe(10_000);
  const get = vi.spyOn(store, 'get');
  expect(await list.isRevoked(first)).toBe(false);
  expect(get).not.toHaveBeenCalled();
  expect(await list.isRevoked('jti-0')).toBe(false);
  expect(get).toHaveBeenCalledTimes(1); // forgotten: read from the store again
  list.onModuleDestroy();
  await store.close();
});

/**
 * One application holds several lists on its store (AuthModule's guard, OAuthServerModule's
 * revocation endpoint). Here the store confirms the subscription but never delivers a notice, so
 * only the shared memory can make the guard's list refuse what the endpoint's list revoked.
 */
it('lists on one store refuse at once what any of them revoked, without waiting for the notice', async () => {
  const memory = new MemoryStore();
  let listening = 0;
  const store: Store = {
    kind: 'memory',
    get: (key) => memory.get(key),
    set: (key, value, options) => memory.set(key, value, options),
    delete: (key) => memory.delete(key),
    increment: (key, options) => memory.increment(key, options),
    take: (key) => memory.take(key),
    run: (script, keys, args) => memory.run(script, keys, args),
    ping: () => memory.ping(),
    close: () => memory.close(),
    subscribe: (_channel, listener) => {
      listening++;
      listener.state(true);
      return () => listening--;
    },
    publish: async () => undefined,
  };
  const guard = new TokenRevocationList(store);
  const endpoint = new TokenRevocationList(store);
  const jti = randomUUID();
  expect(await guard.isRevoked(jti)).toBe(false); // remembered as not revoked
  await endpoint.revoke(jti, inAnHour());
  expect(await guard.isRevoked(jti)).toBe(true);
  expect(listening).toBe(1); // one subscription for the store, however many lists
  // The subscription lasts as long as one list does; destroying one twice releases it once.
  endpoint.onModuleDestroy();
  endpoint.onModuleDestroy();
  expect(listening).toBe(1);
  const other = randomUUID();
  const get = vi.spyOn(store, 'get');
  await guard.isRevoked(other);
  await guard.isRevoked(other);
  expect(get).toHaveBeenCalledTimes(1); // still remembering
  guard.onModuleDestroy();
  expect(listening).toBe(0);
  // A list made afterwards subscribes again and starts with an empty memory.
  const later = new TokenRevocationList(store);
  expect(listening).toBe(1);
  await later.isRevoked(other);
  expect(get).toHaveBeenCalledTimes(2);
  later.onModuleDestroy();
});
