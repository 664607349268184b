import { declareSecurityState, type Store } from '@rampart/core';
import type { ResolvedTier } from '../rate-limit.options';
import { DECISION_SCRIPT } from './decision.script';
import type { RateLimitDecision, RateLimitStorage, TierResult } from './rate-limit.storage';

// A tier's block (`block` option) is security state: the counters of a flood of other clients must
// not evict it and let the blocked client in again.
declareSecurityState('rate-limit-blocks', (key) => key.endsWith(':block'));

const ALGORITHM_CODES = { 'sliding-log': 'log', 'sliding-window': 'window', 'token-bucket': 'bucket' } as const;

/**
 * Decides with one script run on a core {@link Store}: one Redis round trip (EVALSHA) whatever the
 * number of tiers, or a synchronous in-memory twin. Keys of one decision share a `{hash tag}`, so
 * the script is valid on Redis Cluster.
 */
export class StoreRateLimitStorage implements RateLimitStorage {
  private readonly layouts = new WeakMap<readonly ResolvedTier[], Layout>();

  constructor(
    readonly store: Store,
    private readonly keyPrefix = 'rl:',
  ) {}

  decide(key: string, tiers: readonly ResolvedTier[], cost: number): Promise<RateLimitDecision> {
    const layout = this.layoutOf(tiers);
    const base = `${this.keyPrefix}{${key}}`;
    const keys: string[] = [];
    for (const suffix of layout.keySuffixes) keys.push(base + suffix);
    const args = cost === 1 ? layout.args : withCost(layout.args, cost);
    return this.store.run(DECISION_SCRIPT, keys, args).then((reply) => toDecision(reply, tiers));
  }

  /** Key suffixes and ARGV of a tier list, built once: policies are frozen and reused for every request. */
  private layoutOf(tiers: readonly ResolvedTier[]): Layout {
    let layout = this.layouts.get(tiers);
    if (!layout) {
      layout = {
        // A block key only for a tier that can block: fewer keys for the client to send.
        keySuffixes: tiers.flatMap((t) => (t.blockForMs > 0 ? [`:${t.name}`, `:${t.name}:block`] : [`:${t.name}`])),
        args: [
          1,
          tiers.map((t) => `${ALGORITHM_CODES[t.algorithm]} ${t.limit} ${t.windowMs} ${t.blockForMs}`).join(' '),
        ],
      };
      this.layouts.set(tiers, layout);
    }
    return layout;
  }
}

interface Layout {
  readonly keySuffixes: readonly string[];
  /** ARGV for a cost of 1 (the cost, then the tiers' spec); other costs copy it. */
  readonly args: readonly (string | number)[];
}

function withCost(args: readonly (string | number)[], cost: number): (string | number)[] {
  const copy = [...args];
  copy[0] = cost;
  return copy;
}

function toDecision(reply: readonly number[], tiers: readonly ResolvedTier[]): RateLimitDecision {
  const results = new Array<TierResult>(tiers.length);
  let limitedBy: TierResult | undefined;
  let i = 0;
  for (const tier of tiers) {
    const result: TierResult = {
      name: tier.name,
      limit: tier.limit,
      windowMs: tier.windowMs,
      remaining: reply[1 + i * 3] ?? 0,
      resetMs: reply[2 + i * 3] ?? 0,
      denied: reply[3 + i * 3] === 1,
    };
    results[i++] = result;
    if (result.denied && (!limitedBy || result.resetMs > limitedBy.resetMs)) limitedBy = result;
  }
  return { admitted: reply[0] === 1, tiers: results, limitedBy, degraded: false };
}
