import type { SecurityEvents, Store } from '@rampart/core';
import { createHash } from 'node:crypto';
import type { RateLimitAlgorithm, ResolvedTier } from './rate-limit.options';
import { createRateLimitStorage } from './storage/create-rate-limit-storage';
import type { RateLimitStorage } from './storage/rate-limit.storage';

/** Options of {@link RampartThrottlerStorage}. @publicApi */
export interface RampartThrottlerStorageOptions {
  /** @default 'sliding-window' */
  algorithm?: RateLimitAlgorithm;
  /** @default 'rl:throttler:' */
  keyPrefix?: string;
  /** @default 'failOpen' */
  onStoreFailure?: 'failOpen' | 'failClosed';
  /** @default 50 */
  deadlineMs?: number;
  /** Outage events (degraded/recovered) go here when given. */
  events?: SecurityEvents;
}

interface ThrottlerRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

const TIER_NAME = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * A `ThrottlerStorage` for applications on `@nestjs/throttler`: each throttler's hit is one atomic
 * script run on core's store (Redis: one round trip, Redis time, no over-admission under
 * concurrency, denied hits not counted), with the same outage policy as {@link RateLimitModule}.
 * `@nestjs/throttler` still calls it once per named throttler; `RateLimitModule` decides all tiers
 * in one round trip.
 * @publicApi
 * @example
 * ThrottlerModule.forRootAsync({
 *   inject: [RAMPART_STORE],
 *   useFactory: (store: Store) => ({ throttlers: [{ ttl: 60_000, limit: 100 }], storage: new RampartThrottlerStorage(store) }),
 * })
 */
// Structurally a `ThrottlerStorage` (throttler.storage.spec.ts checks it against the real type): the
// emitted declarations must not import `@nestjs/throttler`, an optional peer most users lack.
export class RampartThrottlerStorage {
  private readonly storage: RateLimitStorage;
  private readonly algorithm: RateLimitAlgorithm;
  /** Tier lists per throttler configuration: a handful, built once. */
  private readonly tiers = new Map<string, readonly ResolvedTier[]>();

  constructor(store: Store, options: RampartThrottlerStorageOptions = {}) {
    this.algorithm = options.algorithm ?? 'sliding-window';
    this.storage = createRateLimitStorage(
      {
        store,
        keyPrefix: options.keyPrefix ?? 'rl:throttler:',
        memoryCapacity: 100_000,
        onStoreFailure: options.onStoreFailure ?? 'failOpen',
        deadlineMs: options.deadlineMs ?? 50,
      },
      undefined,
      options.events,
    );
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerRecord> {
    const tiers = this.tiersOf(ttl, limit, blockDuration, throttlerName);
    const decision = await this.storage.decide(key, tiers, 1);
    const [tier] = decision.tiers;
    if (!tier) throw new RangeError('A rate-limit decision has at least one tier.');
    const seconds = Math.ceil(tier.resetMs / 1000);
    return {
      totalHits: decision.admitted ? limit - tier.remaining : limit + 1,
      timeToExpire: seconds,
      isBlocked: !decision.admitted,
      timeToBlockExpire: decision.admitted ? 0 : Math.max(1, seconds),
    };
  }

  private tiersOf(ttl: number, limit: number, blockDuration: number, throttlerName: string): readonly ResolvedTier[] {
    const id = `${ttl}:${limit}:${blockDuration}:${throttlerName}`;
    let tiers = this.tiers.get(id);
    if (!tiers) {
      const name = TIER_NAME.test(throttlerName)
        ? throttlerName
        : createHash('sha256').update(throttlerName).digest('hex').slice(0, 32);
      tiers = Object.freeze([
        Object.freeze({
          name,
          limit: Math.max(1, Math.floor(limit)),
          windowMs: Math.max(1, Math.ceil(ttl)),
          blockForMs: Math.max(0, Math.ceil(blockDuration)),
          algorithm: this.algorithm,
        }),
      ]);
      this.tiers.set(id, tiers);
    }
    return tiers;
  }
}
