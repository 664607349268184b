import { Redis } from 'ioredis';
import { connect, createServer, type AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { describeWithRedis, redisUrl, uniqueKeyPrefix } from '../../../../test/utils/redis';
import { RedisStore } from './redis.store';

describeWithRedis('RedisStore', () => {
  const keyPrefix = uniqueKeyPrefix('store');
  const admin = new Redis(redisUrl);
  afterAll(async () => {
    const keys = await admin.keys(`${keyPrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('prefixes every key', async () => {
    const store = await RedisStore.create({ url: redisUrl, keyPrefix });
    await store.set('visible', 'v', { ttlMs: 10_000 });
    expect(await admin.get(`${keyPrefix}visible`)).toBe('v');
    expect(await admin.pttl(`${keyPrefix}visible`)).toBeGreaterThan(9_000);
    await store.close();
  });

  it('fails fast instead of queueing when Redis is unreachable', async () => {
    // Nothing listens on port 1: a default ioredis client would queue the command and retry for ~73 s.
    const store = await RedisStore.create({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
    const started = Date.now();
    await expect(store.get('x')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(10_000);
    await store.close();
  });

  it('fails fast when Redis hangs', async () => {
    // A proxy in front of the real Redis that stops forwarding on demand: a server that accepted
    // the connection and then stopped answering.
    let frozen = false;
    const target = new URL(redisUrl);
    const proxy = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      client.on('data', (chunk) => frozen || upstream.write(chunk));
      upstream.on('data', (chunk) => frozen || client.write(chunk));
      client.on('close', () => upstream.destroy());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    const store = await RedisStore.create({ url: `redis://127.0.0.1:${port}`, keyPrefix, commandTimeoutMs: 100 });
    await store.ping();
    frozen = true;
    const started = Date.now();
    await expect(store.get('x')).rejects.toThrow(/timed out/i);
    // Without the command timeout the call would never settle (the test's own timeout, 20 s).
    expect(Date.now() - started).toBeLessThan(10_000);
    await store.close();
    proxy.close();
  });
});
