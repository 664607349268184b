import type { ServerResponse } from 'node:http';
import type { ResolvedTier } from './rate-limit.options';
import type { RateLimitDecision, TierResult } from './storage/rate-limit.storage';

const seconds = (ms: number): number => Math.ceil(ms / 1000);

/** `RateLimit-Policy` depends only on the tiers, which repeat: built once per tier list shape. */
const policyFields = new Map<string, string>();

function policyField(tiers: readonly (TierResult | ResolvedTier)[]): string {
  const id = tiers.map((t) => `${t.name}/${t.limit}/${t.windowMs}`).join('|');
  let field = policyFields.get(id);
  if (field === undefined) {
    field = tiers.map((t) => `"${t.name}";q=${t.limit};w=${seconds(t.windowMs)}`).join(', ');
    // Tier lists come from configuration, not from clients; the bound only guards against misuse.
    if (policyFields.size < 1_000) policyFields.set(id, field);
  }
  return field;
}

/** `RateLimit-Policy` for a policy's own (frozen, reused) tier list: no string work per request. */
const policyFieldsByTiers = new WeakMap<readonly ResolvedTier[], string>();

export function policyFieldOf(tiers: readonly ResolvedTier[]): string {
  let field = policyFieldsByTiers.get(tiers);
  if (field === undefined) policyFieldsByTiers.set(tiers, (field = policyField(tiers)));
  return field;
}

/** The tier a client should watch: the one that denied, else the one with the least left. */
export function constrainingTier(decision: RateLimitDecision): TierResult {
  if (decision.limitedBy) return decision.limitedBy;
  let chosen: TierResult | undefined;
  for (const tier of decision.tiers) {
    if (!chosen) {
      chosen = tier;
      continue;
    }
    if (tier.remaining < chosen.remaining || (tier.remaining === chosen.remaining && tier.resetMs > chosen.resetMs)) {
      chosen = tier;
    }
  }
  if (!chosen) throw new RangeError('A rate-limit decision has at least one tier.');
  return chosen;
}

/**
 * Response headers for a decision. The IETF fields use the structured-field syntax of
 * draft-ietf-httpapi-ratelimit-headers-11: `RateLimit-Policy` lists every tier as
 * `"name";q=<quota>;w=<window s>`; `RateLimit` gives the constraining tier as
 * `"name";r=<remaining>;t=<seconds>`. Tier names are validated to need no escaping.
 */
export function rateLimitHeaders(
  decision: RateLimitDecision,
  style: 'ietf' | 'legacy' | 'both' | 'none',
): Record<string, string> {
  const headers: Record<string, string> = {};
  const tier = constrainingTier(decision);
  if (style === 'ietf' || style === 'both') {
    headers['RateLimit-Policy'] = policyField(decision.tiers);
    headers.RateLimit = `"${tier.name}";r=${tier.remaining};t=${seconds(tier.resetMs)}`;
  }
  if (style === 'legacy' || style === 'both') {
    headers['X-RateLimit-Limit'] = String(tier.limit);
    headers['X-RateLimit-Remaining'] = String(tier.remaining);
    headers['X-RateLimit-Reset'] = String(seconds(tier.resetMs));
  }
  if (!decision.admitted) headers['Retry-After'] = String(Math.max(1, seconds(tier.resetMs)));
  return headers;
}

/**
 * The headers of an admitted request, written straight to the response: the same fields as
 * {@link rateLimitHeaders}, without building a record per request on the hot path (and with
 * lower-case names, which Node's setHeader stores without making a new string).
 */
export function setAdmittedHeaders(
  res: ServerResponse,
  decision: RateLimitDecision,
  tiers: readonly ResolvedTier[],
  style: 'ietf' | 'legacy' | 'both' | 'none',
): void {
  if (style === 'none') return;
  const tier = constrainingTier(decision);
  if (style !== 'legacy') {
    res.setHeader('ratelimit-policy', policyFieldOf(tiers));
    res.setHeader('ratelimit', `"${tier.name}";r=${tier.remaining};t=${seconds(tier.resetMs)}`);
  }
  if (style !== 'ietf') {
    res.setHeader('x-ratelimit-limit', String(tier.limit));
    res.setHeader('x-ratelimit-remaining', String(tier.remaining));
    res.setHeader('x-ratelimit-reset', String(seconds(tier.resetMs)));
  }
}
