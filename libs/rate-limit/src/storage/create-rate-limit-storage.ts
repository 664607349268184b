import { Logger } from '@nestjs/common';
import { InvalidOptionsError, MemoryStore, type SecurityEvents, type Store } from '@rampart/core';
import type { ResolvedRateLimitOptions } from '../rate-limit.options';
import { DECISION_SCRIPT } from './decision.script';
import type { RateLimitStorage } from './rate-limit.storage';
import { ResilientRateLimitStorage } from './resilient-rate-limit.storage';
import { StoreRateLimitStorage } from './store-rate-limit.storage';

export type StorageOptions = Pick<
  ResolvedRateLimitOptions,
  'store' | 'keyPrefix' | 'memoryCapacity' | 'onStoreFailure' | 'deadlineMs'
>;

/** The store the module's counters live in, from its `store` option (also used by LoginThrottle). */
export function chooseStore(
  options: Pick<StorageOptions, 'store' | 'memoryCapacity'>,
  coreStore: Store | undefined,
): Store {
  const { store, memoryCapacity } = options;
  if (typeof store !== 'string') return store;
  if (store === 'core') {
    if (!coreStore) {
      throw new InvalidOptionsError(
        'RATE_LIMIT_INVALID_OPTIONS',
        `store: 'core' needs RampartCoreModule imported in the root module.`,
      );
    }
    return coreStore;
  }
  // A private memory store: keys come from clients, and a flood of them must not evict other
  // libs' state (one-time codes, bans) from a shared LRU.
  if (store === 'memory' || coreStore?.kind !== 'redis') return new MemoryStore({ capacity: memoryCapacity });
  return coreStore;
}

/** The storage the module's guard uses: the chosen store, behind the outage policy when it is shared. */
export function createRateLimitStorage(
  options: StorageOptions,
  coreStore?: Store,
  events?: SecurityEvents,
): RateLimitStorage {
  const store = chooseStore(options, coreStore);
  const storage = new StoreRateLimitStorage(store, options.keyPrefix);
  if (store.kind === 'memory') {
    new Logger('RateLimit').warn(
      'Rate limits are counted in memory, per process: with several instances, each admits the full limit. Configure Redis in RampartCoreModule for shared limits.',
    );
    return storage;
  }
  // Loads the script before traffic arrives (EVALSHA then succeeds from the first request on); a
  // call without tiers touches no key.
  store.run(DECISION_SCRIPT, [], [1]).catch(() => undefined);
  const insurance = new StoreRateLimitStorage(new MemoryStore({ capacity: options.memoryCapacity }), options.keyPrefix);
  return new ResilientRateLimitStorage(storage, insurance, options, events);
}
