/**
 * Keys that hold security state — bans, blocks, revocations, one-time codes, replay caches — as
 * opposed to counters. In a store bounded by LRU, counters keyed by client input (one per IP, per
 * endpoint) are what an attacker controls: 200,000 distinct addresses would push a 15-minute ban or
 * a revoked token out of one shared LRU, and the banned client would be served again. The memory
 * store therefore keeps each declared kind in a partition of its own, which counters never touch and
 * which never evicts: when one is full, new state of that kind is refused (`StoreUnavailableError`,
 * so each lib's outage policy answers) and old state stays until it expires.
 */
export interface SecurityStateKeys {
  /** The partition's name (logs, errors). */
  readonly name: string;
  /** Whether `key` (as the lib passes it to the store, unprefixed) is this kind of state. Cheap: runs on every store call. */
  readonly matches: (key: string) => boolean;
}

const declared = new Map<string, SecurityStateKeys>();

/**
 * Declares a kind of security state by its keys; a lib calls it once, at load or when its options
 * are resolved (a later declaration with the same name replaces the earlier one). Keep the kinds
 * disjoint: a key belongs to the first declaration that matches it.
 * @publicApi
 * @example
 * declareSecurityState('auth-revocations', (key) => key.startsWith('auth:revoked-jti:'));
 */
export function declareSecurityState(name: string, matches: (key: string) => boolean): SecurityStateKeys {
  const keys = Object.freeze({ name, matches });
  declared.set(name, keys);
  return keys;
}

/** The kind of security state `key` holds, or `undefined` for a counter or other disposable entry. */
export function securityStateOf(key: string): string | undefined {
  for (const keys of declared.values()) if (keys.matches(key)) return keys.name;
  return undefined;
}
