import { MemoryStore, RedisStore, type Store } from '@rampart/core';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { describeEachBackend, describeWithRedis, redisUrl, uniqueKeyPrefix } from '../../../../test/utils/redis';
import { COUNT, DISTINCT, OBSERVE } from './behaviour.scripts';

/** One contract, every store: the Lua scripts and their in-memory twins must agree. */
function describeBehaviourScripts(name: string, create: () => Promise<Store>): void {
  describe(`behaviour scripts (${name})`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await create();
      return () => store.close();
    });
    const keys = (tag: string): string[] =>
      ['r1', 'r0', 't1', 't0', 'e1', 'e0', 'h1', 'h0'].map((k) => `{${tag}}:${k}`);

    it('counts requests and errors, and distinct endpoints across both windows', async () => {
      const k = keys('observe');
      await store.run(OBSERVE, k, [1, 0, 60_000, 60_000, 60_000, 256, 'GET /a']);
      await store.run(OBSERVE, k, [1, 1, 60_000, 60_000, 60_000, 256, 'GET /b']);
      expect(await store.run(OBSERVE, k, [1, 1, 60_000, 60_000, 60_000, 256, 'GET /a'])).toEqual([3, 0, 3, 0, 2, 0, 2]);
      // The previous window's endpoints count toward the distinct total.
      const previous = ['r0', 'r', 't0', 't', 'e0', 'e', 'h0', 'h1'].map((s) => `{observe}:${s}`);
      expect((await store.run(OBSERVE, previous, [1, 0, 60_000, 60_000, 60_000, 256, 'GET /c']))[6]).toBe(3);
    });

    it('adds a batch of one client’s responses in one run: counts and every distinct endpoint', async () => {
      const k = keys('batch');
      await store.run(OBSERVE, k, [1, 0, 60_000, 60_000, 60_000, 256, 'GET /a']);
      const batch = [40, 25, 60_000, 60_000, 60_000, 256, 'GET /a', 'GET /b', 'GET /c'];
      expect(await store.run(OBSERVE, k, batch)).toEqual([41, 0, 41, 0, 25, 0, 3]);
    });

    it('reads the previous window of a counter', async () => {
      await store.run(COUNT, ['{c}:old', '{c}:none'], [60_000]);
      await store.run(COUNT, ['{c}:old', '{c}:none'], [60_000]);
      expect(await store.run(COUNT, ['{c}:new', '{c}:old'], [60_000])).toEqual([1, 2]);
    });

    it('counts distinct members once', async () => {
      for (const ip of ['a', 'b', 'a', 'c', 'b']) await store.run(DISTINCT, ['{d}:1', '{d}:0'], [ip, 60_000, 256]);
      expect(await store.run(DISTINCT, ['{d}:1', '{d}:0'], ['a', 60_000, 256])).toBe(3);
    });

    it('forgets a window after its TTL', async () => {
      await store.run(COUNT, ['{ttl}:1', '{ttl}:0'], [50]);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await store.run(COUNT, ['{ttl}:1', '{ttl}:0'], [50])).toEqual([1, 0]);
    });
  });
}

describeEachBackend('behaviour scripts', (backend, keyPrefix) => {
  describeBehaviourScripts(backend.name, () => backend.store(keyPrefix));
});

it('caps a distinct set in memory, whatever a client sends', async () => {
  const store = new MemoryStore();
  for (let i = 0; i < 1000; i++) await store.run(DISTINCT, ['{cap}:1', '{cap}:0'], [`/probe-${i}`, 60_000, 100]);
  expect(await store.run(DISTINCT, ['{cap}:1', '{cap}:0'], ['/x', 60_000, 100])).toBe(100);
});

describeWithRedis('on Redis', () => {
  const keyPrefix = uniqueKeyPrefix('threat-scripts');
  const admin = new Redis(redisUrl);
  afterAll(async () => {
    const found = await admin.keys(`${keyPrefix}*`);
    if (found.length > 0) await admin.del(...found);
    await admin.quit();
  });

  it('sets a TTL on every key it creates', async () => {
    const store = await RedisStore.create({ url: redisUrl, keyPrefix });
    const k = ['r1', 'r0', 't1', 't0', 'e1', 'e0', 'h1', 'h0'].map((s) => `{ttl-check}:${s}`);
    await store.run(OBSERVE, k, [1, 1, 10_000, 20_000, 30_000, 256, 'GET /x']);
    for (const [key, max] of [
      ['r1', 10_000],
      ['t1', 20_000],
      ['e1', 20_000],
      ['h1', 30_000],
    ] as const) {
      const ttl = await admin.pttl(`${keyPrefix}{ttl-check}:${key}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(max);
    }
    await store.close();
  });
});
