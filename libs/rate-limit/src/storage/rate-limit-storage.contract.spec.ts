import type { Store } from '@rampart/core';
import { afterAll } from 'vitest';
import { describeRateLimitStorage } from '../../../../test/utils/rate-limit-contract';
import { describeEachBackend } from '../../../../test/utils/redis';
import { StoreRateLimitStorage } from './store-rate-limit.storage';

describeEachBackend('StoreRateLimitStorage', (backend, keyPrefix) => {
  const stores: Store[] = [];
  afterAll(() => Promise.all(stores.map((store) => store.close())));
  describeRateLimitStorage(backend.name, async () => {
    const store = await backend.store(keyPrefix);
    stores.push(store);
    return new StoreRateLimitStorage(store);
  });
});
