import type { Store } from '@rampart/core';
import { describeRateLimitStorage } from '@rampart/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test/utils/redis';
import { StoreRateLimitStorage } from './store-rate-limit.storage';

describeEachBackend('StoreRateLimitStorage', (backend, keyPrefix) => {
  const stores: Store[] = [];
  afterAll(() => Promise.all(stores.map((store) => store.close())));
  describeRateLimitStorage({ describe, it, expect, beforeAll, afterAll }, backend.name, async () => {
    const store = await backend.store(keyPrefix);
    stores.push(store);
    return new StoreRateLimitStorage(store);
  });
});
