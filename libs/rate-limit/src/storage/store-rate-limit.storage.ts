import type { Store } from '@rampart/core';
import type { ResolvedTier } from '../rate-limit.options';
import { DECISION_SCRIPT } from './decision.script';
import type { RateLimitDecision, RateLimitStorage, TierResult } from './rate-limit.storage';

const ALGORITHM_CODES = { 'sliding-log': 'log', 'sliding-window': 'window', 'token-bucket': 'bucket' } as const;

/**
 * Decides with one script run on a core {@link Store}: one Redis round trip (EVALSHA) whatever the
 * number of tiers, or a synchronous in-memory twin. Keys of one decision share a `{hash tag}`, so
 * the script is valid on Redis Cluster.
 */
export class StoreRateLimitStorage implements RateLimitStorage {
  /** ARGV per tier list, built once: policies are frozen and reused for every request. */
  private readonly argsCache = new WeakMap<readonly ResolvedTier[], (string | number)[]>();

  constructor(
    readonly store: Store,
    private readonly keyPrefix = 'rl:',
  ) {}

  async decide(key: string, tiers: readonly ResolvedTier[], cost: number): Promise<RateLimitDecision> {
    const base = `${this.keyPrefix}{${key}}:`;
    const keys: string[] = [];
    for (const tier of tiers) keys.push(base + tier.name, `${base + tier.name}:block`);
    const reply = await this.store.run(DECISION_SCRIPT, keys, this.argsOf(tiers, cost));
    const results: TierResult[] = [];
    let limitedBy: TierResult | undefined;
    for (const [i, tier] of tiers.entries()) {
      const result: TierResult = {
        name: tier.name,
        limit: tier.limit,
        windowMs: tier.windowMs,
        remaining: reply[1 + i * 3] ?? 0,
        resetMs: reply[2 + i * 3] ?? 0,
        denied: reply[3 + i * 3] === 1,
      };
      results.push(result);
      if (result.denied && (!limitedBy || result.resetMs > limitedBy.resetMs)) limitedBy = result;
    }
    return { admitted: reply[0] === 1, tiers: results, limitedBy, degraded: false };
  }

  /** ARGV for a cost of 1 is built once per tier list; other costs copy it. */
  private argsOf(tiers: readonly ResolvedTier[], cost: number): readonly (string | number)[] {
    let args = this.argsCache.get(tiers);
    if (!args) {
      args = [1, ...tiers.flatMap((t) => [ALGORITHM_CODES[t.algorithm], t.limit, t.windowMs, t.blockForMs])];
      this.argsCache.set(tiers, args);
    }
    if (cost === 1) return args;
    const copy = [...args];
    copy[0] = cost;
    return copy;
  }
}
