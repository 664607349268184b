import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPrivateRedis, startPrivateRedis, type PrivateRedis } from '../../../../test/utils/private-redis';
import { RedisStore } from './redis.store';
import type { StoreScript } from './store';

/** Adds ARGV[1] to a counter and returns it: state that must survive a script cache loss. */
const ADD: StoreScript<number> = {
  name: 'testAdd',
  lua: `return redis.call('INCRBY', KEYS[1], ARGV[1])`,
  local: () => {
    throw new Error('Redis only');
  },
  parse: Number,
};

/** How many times the server ran a command, from INFO commandstats. */
async function calls(admin: Redis, command: 'evalsha' | 'eval'): Promise<number> {
  const info = await admin.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

// A private server, because the test empties the script cache (as a restart or a failover to a
// replica does), which would disturb every other test on the shared Redis.
describeWithPrivateRedis('RedisStore after the server lost its scripts (NOSCRIPT)', () => {
  let redis: PrivateRedis;
  let admin: Redis;
  let store: RedisStore;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    admin = redis.client();
    store = await RedisStore.create({ client: redis.client(), keyPrefix: 'noscript:' });
  });

  afterAll(async () => {
    admin.disconnect();
    (store.redis as Redis).disconnect();
    await redis.stop();
  });

  it('loads the script again with EVAL, once, and keeps the data', async () => {
    expect(await store.run(ADD, ['n'], [2])).toBe(2); // first run: NOSCRIPT, then EVAL
    expect(await store.run(ADD, ['n'], [3])).toBe(5); // cached: EVALSHA only
    await admin.script('FLUSH');
    await admin.config('RESETSTAT');

    expect(await store.run(ADD, ['n'], [4])).toBe(9);
    expect(await calls(admin, 'eval')).toBe(1);
    expect(await calls(admin, 'evalsha')).toBe(1);

    expect(await store.run(ADD, ['n'], [1])).toBe(10);
    expect(await calls(admin, 'eval')).toBe(1);
    expect(await calls(admin, 'evalsha')).toBe(2);
    expect(await admin.get('noscript:n')).toBe('10');
  });

  it('passes any other script error on', async () => {
    const broken: StoreScript<number> = { ...ADD, name: 'testBroken', lua: `return redis.call('NOPE')` };
    await expect(store.run(broken, ['m'], [1])).rejects.toThrow(/unknown redis command/i);
    expect(await admin.exists('noscript:m')).toBe(0);
  });
});
