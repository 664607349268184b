import { RedisStore } from '@rampart/core';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { resolvedTier as tier } from '@rampart/testing';
import { describeWithRedis, redisUrl, uniqueKeyPrefix } from '../../../../test/utils/redis';
import { StoreRateLimitStorage } from './store-rate-limit.storage';

describeWithRedis('StoreRateLimitStorage on Redis', () => {
  const keyPrefix = uniqueKeyPrefix('rate-limit');
  const stores: RedisStore[] = [];
  const storage = async (): Promise<StoreRateLimitStorage> => {
    const store = await RedisStore.create({ url: redisUrl, keyPrefix });
    stores.push(store);
    return new StoreRateLimitStorage(store);
  };
  const admin = new Redis(redisUrl);
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    const keys = await admin.keys(`${keyPrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  let limiter: StoreRateLimitStorage;
  beforeAll(async () => {
    limiter = await storage();
  });

  const threeTiers = [
    tier('minute', 100, 60_000, 'sliding-window'),
    tier('hour', 1_000, 3_600_000, 'sliding-log', 60_000),
    tier('day', 10_000, 86_400_000, 'token-bucket'),
  ];

  it('decides three tiers in one round trip: a single EVALSHA, nothing else from the client', async () => {
    await limiter.decide('warm-up', threeTiers, 1); // loads the script (EVALSHA, or EVAL after NOSCRIPT)
    const monitor = await admin.duplicate().monitor();
    const seen: { source: string; args: string[] }[] = [];
    // MONITOR lists commands in the order Redis runs them: once a command sent after the decisions
    // is listed, everything they made Redis run has been, however long other suites' traffic
    // (this Redis is shared) takes to stream through before it.
    const sentinel = `${keyPrefix}monitor-sentinel`;
    const listed = new Promise<void>((resolve) => {
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        // Only commands on this test's keys are counted.
        if (args.some((arg) => arg.includes(`${keyPrefix}rl:{one-trip}`))) seen.push({ source, args });
        if (args.includes(sentinel)) resolve();
      });
    });
    await limiter.decide('one-trip', threeTiers, 1);
    await limiter.decide('one-trip', threeTiers, 1);
    await admin.exists(sentinel);
    await listed;
    monitor.disconnect();
    const fromClient = seen.filter((entry) => entry.source !== 'lua');
    expect(fromClient.map((entry) => entry.args[0]!.toLowerCase())).toEqual(['evalsha', 'evalsha']);
    // Three state keys and the block key of the one tier that blocks, in one call; the tiers'
    // settings in one argument.
    expect(fromClient[0]!.args[2]).toBe('4');
    expect(fromClient[0]!.args).toHaveLength(3 + 4 + 2);
    expect(seen.filter((entry) => entry.source === 'lua').length).toBeGreaterThan(0);
  });

  it('keeps every key of a decision under one hash tag and with a TTL', async () => {
    const tiers = [tier('minute', 2, 60_000, 'sliding-window', 30_000), tier('hour', 5, 3_600_000, 'sliding-log')];
    for (let i = 0; i < 3; i++) await limiter.decide('ttl|ip:10.1.2.3', tiers, 1);
    await limiter.decide('ttl|ip:10.1.2.3', [tier('day', 5, 86_400_000, 'token-bucket')], 1);
    const keys = await admin.keys(`${keyPrefix}rl:{ttl|ip:10.1.2.3}:*`);
    expect(keys.sort()).toEqual(
      ['day', 'hour', 'minute', 'minute:block'].map((k) => `${keyPrefix}rl:{ttl|ip:10.1.2.3}:${k}`).sort(),
    );
    for (const key of keys) {
      const ttl = await admin.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(86_400_000);
    }
    const tags = new Set(keys.map((key) => /\{([^}]*)\}/.exec(key)![1]));
    expect([...tags]).toEqual(['ttl|ip:10.1.2.3']);
  });

  it('takes time from the Redis server, not from the instance', async () => {
    // This process believes it is the year 2000; the decision must still follow the server's clock.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2000-01-01T00:00:00Z'));
    try {
      const decision = await limiter.decide('clock', [tier('t', 1, 10_000, 'token-bucket')], 1);
      expect(decision.tiers[0]!.resetMs).toBeGreaterThan(9_000);
      expect(decision.tiers[0]!.resetMs).toBeLessThanOrEqual(10_000);
    } finally {
      vi.useRealTimers();
    }
    const [seconds] = await admin.time();
    const state = Number(await admin.get(`${keyPrefix}rl:{clock}:t`));
    expect(Math.abs(state - 10_000 - Number(seconds) * 1000)).toBeLessThan(2_000);
  });

  it('holds across a window boundary where a fixed window would admit the limit twice', async () => {
    // The full quota in the last 400 ms of a 2 s window, then a burst 100 ms after the boundary.
    const windowMs = 2_000;
    const limit = 100;
    const redisNow = async (): Promise<number> => {
      const [seconds, micros] = await admin.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    // 1.6 to 1.7 s into a window of the Redis clock; the next window's if a slow machine overslept.
    let start = await redisNow();
    while (start % windowMs < 1_600 || start % windowMs >= 1_700) {
      await sleep((windowMs + 1_600 - (start % windowMs)) % windowMs);
      start = await redisNow();
    }
    const boundary = start - (start % windowMs) + windowMs;
    const algorithms = ['sliding-log', 'sliding-window', 'token-bucket'] as const;
    const burst = (algorithm: (typeof algorithms)[number]) =>
      Promise.all(
        Array.from({ length: 150 }, () =>
          limiter.decide(`boundary-${algorithm}`, [tier('w', limit, windowMs, algorithm)], 1),
        ),
      ).then((decisions) => decisions.filter((d) => d.admitted).length);
    const first = await Promise.all(algorithms.map(burst));
    await sleep(Math.max(0, boundary + 100 - (await redisNow())));
    const second = await Promise.all(algorithms.map(burst));
    const end = await redisNow();
    // Each admits the quota at once. The bounds count what any burst may add while it runs: a token
    // every 20 ms, and a first burst that a slow machine stretches past the boundary.
    for (const admitted of first) expect(admitted).toBeGreaterThanOrEqual(limit);
    // sliding-log: exact. Both bursts lie within one window length of each other.
    expect(end - start).toBeLessThan(windowMs);
    expect(first[0]).toBe(limit);
    expect(second[0]).toBe(0);
    // sliding-window: at most limit × (time into the new window / window) more.
    expect(first[1]! + second[1]!).toBeLessThanOrEqual(limit + Math.ceil((limit * (end - boundary)) / windowMs));
    // token-bucket: at most the full bucket and what refilled since the first burst began.
    expect(first[2]! + second[2]!).toBeLessThanOrEqual(limit + Math.ceil((limit * (end - start)) / windowMs));
    for (const admitted of second) expect(admitted).toBeLessThan(limit / 2); // a fixed window: 100
  });
});
