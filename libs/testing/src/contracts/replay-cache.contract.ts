import { ReplayCache, type Store } from '@rampart/core';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestFramework } from './test-framework';

/** What the suite may assume of the stores `createStore` returns. */
export interface ReplayCacheContractOptions {
  /**
   * Stores from `createStore` share their state, as two application instances on one Redis do:
   * the suite then checks that a value accepted by one instance is refused by the other.
   * @default false (an in-memory store belongs to one instance)
   */
  shared?: boolean;
}

/**
 * The replay defence on top of your Store: core's `ReplayCache`, which remembers DPoP proof
 * `jti`s, `private_key_jwt` assertion `jti`s and webhook message ids, must accept each value once
 * (under concurrency, across instances when the store is shared), forget it after its TTL or
 * `forget`, and keep hostile ids out of the keys. Give it a store on its own namespace.
 * @publicApi
 * @example
 * import { afterAll, beforeAll, describe, expect, it } from 'vitest';
 * describeReplayCacheContract({ describe, it, expect, beforeAll, afterAll }, 'my store', () => MyStore.create(), { shared: true });
 */
export function describeReplayCacheContract(
  { describe, it, expect, beforeAll, afterAll }: TestFramework,
  name: string,
  createStore: () => Promise<Store>,
  { shared = false }: ReplayCacheContractOptions = {},
): void {
  describe(`ReplayCache contract: ${name}`, () => {
    let store: Store;
    let peer: Store;
    // A fresh namespace per run: a Redis the suite already ran on still holds the last run's ids.
    const namespace = `replay:${randomUUID()}:`;
    const cache = (s: Store = store, ns = namespace): ReplayCache => new ReplayCache(s, ns);
    beforeAll(async () => {
      store = await createStore();
      peer = shared ? await createStore() : store;
    });
    afterAll(async () => {
      await store.close();
      if (peer !== store) await peer.close();
    });

    it('accepts a value the first time only, per namespace', async () => {
      expect(await cache().claim('jti-1', 60_000)).toBe(true);
      expect(await cache().claim('jti-1', 60_000)).toBe(false);
      expect(await cache().claim('jti-2', 60_000)).toBe(true);
      expect(await cache(store, `${namespace}other:`).claim('jti-1', 60_000)).toBe(true);
    });

    it('tells apart ids that differ only in case, spacing or encoding', async () => {
      const ids = ['Abc', 'abc', 'abc ', ' abc', 'ab%63', 'ab\u0063\u0301'];
      const results = await Promise.all(ids.map((id) => cache().claim(`case:${id}`, 60_000)));
      expect(results).toEqual(ids.map(() => true));
    });

    it('accepts exactly one of 100 concurrent claims of one value', async () => {
      const results = await Promise.all(Array.from({ length: 100 }, () => cache().claim('race', 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('accepts each of 200 distinct values claimed at once', async () => {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => cache().claim(`many:${i}`, 60_000)));
      expect(results.filter(Boolean)).toHaveLength(200);
    });

    it('accepts a value again once its TTL has passed, and not before', async () => {
      expect(await cache().claim('short', 50)).toBe(true);
      expect(await cache().claim('long', 60_000)).toBe(true);
      await sleep(200);
      expect(await cache().claim('short', 50)).toBe(true);
      expect(await cache().claim('long', 60_000)).toBe(false);
    });

    it('rounds a fractional TTL up instead of refusing it (a clock-derived lifetime)', async () => {
      expect(await cache().claim('fraction', 1500.25)).toBe(true);
      expect(await cache().claim('fraction', 1500.25)).toBe(false);
      expect(await cache().claim('sub-millisecond', 0.4)).toBe(true);
    });

    it('accepts a value again once forgotten (a retry after a failure past the claim)', async () => {
      expect(await cache().claim('retry', 60_000)).toBe(true);
      await cache(peer).forget('retry');
      expect(await cache().claim('retry', 60_000)).toBe(true);
      await cache().forget('never-claimed');
    });

    it('keeps hostile ids out of the keys: fixed length, no separators, hash tags or control characters', async () => {
      const hostile = ['x'.repeat(100_000), 'a\r\nSET evil 1\r\n', '{tag}:*?[]', '\u0000\uFFFF😀', ''];
      for (const id of hostile) {
        expect(/^replay:[0-9a-f-]{36}:[A-Za-z0-9_-]{43}$/.test(cache().keyOf(id))).toBe(true);
        expect(await cache().claim(id, 60_000)).toBe(true);
        expect(await cache().claim(id, 60_000)).toBe(false);
      }
    });

    if (shared) {
      it('two instances on one store: a value accepted by one is refused by the other', async () => {
        expect(await cache(store).claim('cross', 60_000)).toBe(true);
        expect(await cache(peer).claim('cross', 60_000)).toBe(false);
      });

      it('two instances racing: exactly one of 100 concurrent claims across both wins', async () => {
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) => cache(i % 2 === 0 ? store : peer).claim('cross-race', 60_000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    }
  });
}
