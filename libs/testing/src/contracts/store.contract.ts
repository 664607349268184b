import { defineStoreScript, type Store } from '@rampart/core';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestFramework } from './test-framework';

/** Keeps the larger of the stored number and the argument; returns the stored value. */
const KEEP_MAX = defineStoreScript<number>({
  name: 'rampartTestKeepMax',
  lua: `local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local candidate = tonumber(ARGV[1])
if candidate > current then
  redis.call('SET', KEYS[1], candidate, 'PX', ARGV[2])
  return candidate
end
return current`,
  local: (ctx, [key], [candidate, ttlMs]) => {
    const current = Number(ctx.get(key!) ?? 0);
    if (Number(candidate) <= current) return current;
    ctx.set(key!, Number(candidate), Number(ttlMs));
    return Number(candidate);
  },
  parse: Number,
});

/**
 * The behaviour every Store must have, run against each implementation (memory, the real Redis,
 * and yours), so libs built on the Store can't tell them apart. Keys are written unprefixed: give
 * the suite a store on its own namespace (a Redis key prefix or database).
 * @publicApi
 * @example
 * import { afterAll, beforeAll, describe, expect, it } from 'vitest';
 * describeStoreContract({ describe, it, expect, beforeAll, afterAll }, 'my store', () => MyStore.create());
 */
export function describeStoreContract(
  { describe, it, expect, beforeAll, afterAll }: TestFramework,
  name: string,
  createStore: () => Promise<Store>,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await createStore();
    });
    afterAll(async () => {
      await store.close();
    });

    it('reads nothing for a key never written', async () => {
      expect(await store.get('missing')).toBeUndefined();
    });

    it('writes, reads and deletes', async () => {
      expect(await store.set('a', 'one', { ttlMs: 10_000 })).toBe(true);
      expect(await store.get('a')).toBe('one');
      expect(await store.delete('a')).toBe(true);
      expect(await store.delete('a')).toBe(false);
      expect(await store.get('a')).toBeUndefined();
    });

    it('writes with ifAbsent only when the key is absent', async () => {
      expect(await store.set('once', 'first', { ttlMs: 10_000, ifAbsent: true })).toBe(true);
      expect(await store.set('once', 'second', { ttlMs: 10_000, ifAbsent: true })).toBe(false);
      expect(await store.get('once')).toBe('first');
    });

    it('forgets a key after its TTL', async () => {
      await store.set('short', 'x', { ttlMs: 50 });
      await sleep(120);
      expect(await store.get('short')).toBeUndefined();
    });

    it('refuses a missing, zero or fractional TTL', async () => {
      await expect(store.set('bad', 'x', { ttlMs: 0 })).rejects.toThrow(RangeError);
      await expect(store.increment('bad', { ttlMs: 1.5 })).rejects.toThrow(RangeError);
    });

    it('increments atomically under concurrency', async () => {
      const results = await Promise.all(
        Array.from({ length: 200 }, () => store.increment('counter', { ttlMs: 10_000 })),
      );
      expect(new Set(results).size).toBe(200);
      expect(Math.max(...results)).toBe(200);
      expect(await store.increment('counter', { ttlMs: 10_000, by: 5 })).toBe(205);
    });

    it('keeps the first expiry of a counter: increments do not extend it', async () => {
      // Expiry at t0 + 2000. The increment at t0 + 500 must not move it to t0 + 2500, so the one at
      // t0 + 2050 starts afresh. A lagging machine may stretch the first sleep by up to 1.5 s; a late
      // second one cannot fail a correct store.
      expect(await store.increment('window', { ttlMs: 2_000 })).toBe(1);
      await sleep(500);
      expect(await store.increment('window', { ttlMs: 2_000 })).toBe(2);
      await sleep(1_550);
      expect(await store.increment('window', { ttlMs: 2_000 })).toBe(1);
    });

    it('gives a value to exactly one of concurrent take() callers', async () => {
      await store.set('code', 'secret', { ttlMs: 10_000 });
      const taken = await Promise.all(Array.from({ length: 20 }, () => store.take('code')));
      expect(taken.filter((v) => v === 'secret')).toHaveLength(1);
      expect(await store.get('code')).toBeUndefined();
    });

    it('runs a script atomically with the same result on every store', async () => {
      const results = await Promise.all([5, 9, 3, 7].map((n) => store.run(KEEP_MAX, ['max'], [n, 10_000])));
      expect(Math.max(...results)).toBe(9);
      expect(await store.run(KEEP_MAX, ['max'], [1, 10_000])).toBe(9);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
