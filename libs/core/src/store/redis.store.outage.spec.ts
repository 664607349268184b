import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPrivateRedis, startPrivateRedis, type PrivateRedis } from '../../../../test/utils/private-redis';
import { RedisStore } from './redis.store';
import { defineStoreScript } from './store';
import { StoreUnavailableError } from './store-unavailable.error';

const BROKEN = defineStoreScript<number>({
  name: 'testBroken',
  lua: `return redis.call('NOSUCHCOMMAND')`,
  local: () => 0,
  parse: Number,
});

// A private server: the test freezes and kills it.
describeWithPrivateRedis('RedisStore when Redis does not answer', () => {
  let redis: PrivateRedis;
  let store: RedisStore;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    store = await RedisStore.create({ url: redis.url, keyPrefix: 'outage:', commandTimeoutMs: 300 });
  });
  afterAll(async () => {
    (store.redis as Redis).disconnect();
    await redis.stop();
  });

  it('passes a programming error (a Lua error) through unchanged: a bug, not an outage', async () => {
    const error: unknown = await store.run(BROKEN, ['k'], []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
  });

  it('rejects every operation with StoreUnavailableError while frozen, within the command timeout', async () => {
    redis.freeze();
    try {
      const started = Date.now();
      const failures = await Promise.all(
        [
          store.get('a'),
          store.set('a', '1', { ttlMs: 1000 }),
          store.delete('a'),
          store.increment('a', { ttlMs: 1000 }),
          store.take('a'),
          store.ping(),
        ].map((operation) =>
          operation.then(
            () => undefined,
            (error: unknown) => error,
          ),
        ),
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(StoreUnavailableError);
        expect(failure).toMatchObject({ code: 'STORE_UNAVAILABLE', retryAfterSeconds: 5 });
        expect((failure as StoreUnavailableError).getStatus()).toBe(503);
      }
    } finally {
      redis.thaw();
    }
  });

  it('bounds each call by the command timeout from the call, also behind an auto-pipeline in flight', async () => {
    // Long enough that a loaded machine's scheduling noise stays well inside one timeout.
    const bounded = await RedisStore.create({ url: redis.url, keyPrefix: 'outage:', commandTimeoutMs: 3_000 });
    redis.freeze();
    try {
      const first = bounded.get('a').catch((error: unknown) => error);
      // The next tick: a second auto-pipeline, which ioredis sends only once the first has ended.
      await new Promise((resolve) => setTimeout(resolve, 10));
      const started = Date.now();
      const second = await bounded.get('b').catch((error: unknown) => error);
      const elapsed = Date.now() - started;
      expect(second).toBeInstanceOf(StoreUnavailableError);
      expect(await first).toBeInstanceOf(StoreUnavailableError);
      // ~3 000 ms, not the ~6 000 ms of waiting for the first pipeline's timeout and then its own.
      expect(elapsed).toBeLessThan(4_500);
    } finally {
      redis.thaw();
      (bounded.redis as Redis).disconnect();
    }
  });

  it('rejects with StoreUnavailableError once the server is gone', async () => {
    await redis.stop();
    await expect(store.get('a')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.run(BROKEN, ['k'], [])).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
