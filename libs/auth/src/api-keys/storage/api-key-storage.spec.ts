import { describeApiKeyStorageContract } from '@rampart/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../../../../test/utils/redis';
import { MemoryApiKeyStorage } from './memory-api-key.storage';
import { RedisApiKeyStorage } from './redis-api-key.storage';

describeEachBackend('ApiKeyStorage', (backend, keyPrefix) => {
  const client = backend.client();
  afterAll(async () => {
    await client?.quit();
  });
  describeApiKeyStorageContract({ describe, it, expect, beforeAll, afterAll }, backend.name, () =>
    client ? new RedisApiKeyStorage(client, keyPrefix) : new MemoryApiKeyStorage(),
  );
});
