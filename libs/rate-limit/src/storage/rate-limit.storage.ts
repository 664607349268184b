import type { ResolvedTier } from '../rate-limit.options';

/** The state of one tier after a decision. @publicApi */
export interface TierResult {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  /** Units left now. */
  readonly remaining: number;
  /**
   * With quota left: milliseconds until the quota is full again. Without (or when this tier
   * denied the request): milliseconds until the tier admits the request again.
   */
  readonly resetMs: number;
  /** This tier refused the request (over its limit, or blocked by `blockFor`). */
  readonly denied: boolean;
}

/** The outcome of one rate-limit decision over every tier of a policy. @publicApi */
export interface RateLimitDecision {
  readonly admitted: boolean;
  readonly tiers: readonly TierResult[];
  /** The denying tier with the longest wait; `undefined` when admitted. */
  readonly limitedBy: TierResult | undefined;
  /** Decided by the per-instance insurance limiter because the shared store failed. */
  readonly degraded: boolean;
}

/**
 * The one atomic operation the guard needs: decide a request against every tier of a policy, and
 * record it only if all admit it.
 * @publicApi
 */
export interface RateLimitStorage {
  /** `key` identifies who is limited (policy and client); tiers are kept under it. */
  decide(key: string, tiers: readonly ResolvedTier[], cost: number): Promise<RateLimitDecision>;
}
