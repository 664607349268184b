import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { describeApiKeyStorageContract } from '../../../../../test/utils/api-key-storage-contract';
import { describeWithRedis, redisUrl, uniqueKeyPrefix } from '../../../../../test/utils/redis';
import { MemoryApiKeyStorage } from './memory-api-key.storage';
import { RedisApiKeyStorage } from './redis-api-key.storage';

describeApiKeyStorageContract('memory', () => new MemoryApiKeyStorage());

describeWithRedis('RedisApiKeyStorage', () => {
  const prefix = uniqueKeyPrefix('api-keys');
  const client = new Redis(redisUrl);
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });
  describeApiKeyStorageContract('redis', () => new RedisApiKeyStorage(client, prefix));
});
