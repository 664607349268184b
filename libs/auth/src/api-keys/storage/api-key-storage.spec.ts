import { afterAll } from 'vitest';
import { describeApiKeyStorageContract } from '../../../../../test/utils/api-key-storage-contract';
import { describeEachBackend } from '../../../../../test/utils/redis';
import { MemoryApiKeyStorage } from './memory-api-key.storage';
import { RedisApiKeyStorage } from './redis-api-key.storage';

describeEachBackend('ApiKeyStorage', (backend, keyPrefix) => {
  const client = backend.client();
  afterAll(async () => {
    await client?.quit();
  });
  describeApiKeyStorageContract(backend.name, () =>
    client ? new RedisApiKeyStorage(client, keyPrefix) : new MemoryApiKeyStorage(),
  );
});
