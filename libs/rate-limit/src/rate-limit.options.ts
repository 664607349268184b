import type { ExecutionContext } from '@nestjs/common';
import { InvalidOptionsError, type Store } from '@rampart/core';

/**
 * - `sliding-log`: exact (every admitted request is remembered for one window); memory grows with
 *   the limit, so it is for small limits such as logins (at most {@link MAX_SLIDING_LOG_LIMIT}).
 * - `sliding-window`: two fixed-window counters weighted by the time elapsed (O(1) memory per key).
 *   Exact within one window; across a window boundary it assumes the previous window's requests were
 *   spread evenly, so in any span of length Δ ≤ window it admits at most `limit × (1 + Δ/window)`
 *   (a burst at the boundary is cut to `limit × Δ/window`, where a fixed window admits `limit` again).
 * - `token-bucket`: GCRA, a bucket of `limit` tokens refilled at `limit / window`: bursts up to
 *   `limit`, then a steady rate; at most `limit × (1 + Δ/window)` in any span Δ.
 * @publicApi
 */
export type RateLimitAlgorithm = 'sliding-log' | 'sliding-window' | 'token-bucket';

/** A number of milliseconds, or a string such as `'500ms'`, `'30s'`, `'1m'`, `'1h'`, `'1d'`. @publicApi */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

/**
 * One limit of a policy, e.g. `{ name: 'minute', limit: 100, window: '1m' }`.
 * @publicApi
 */
export interface RateLimitTier {
  /** Shown to clients in `RateLimit-Policy` and `limitedBy`: letters, digits, `-`, `_`. */
  name: string;
  /** Requests (cost units) admitted per window. */
  limit: number;
  window: Duration;
  /** After this tier denies a request, deny every request for this long (a penalty, e.g. for logins). */
  blockFor?: Duration;
  /** Overrides the policy's algorithm for this tier. */
  algorithm?: RateLimitAlgorithm;
}

/** A part of a rate-limit key. @publicApi */
export type RateLimitKeyPart = 'ip' | 'user' | 'apiKey' | 'route';

/**
 * Who shares a quota. `'ip'` is core's trusted-proxy-aware client IP; `'user'` reads
 * `request.user.id` and `'apiKey'` reads `request.apiKey.id` (set by authentication), each falling
 * back to the IP for anonymous callers; `'route'` is the route template; an array combines parts;
 * a function returns the key itself (`undefined` falls back to the IP).
 * @publicApi
 */
export type RateLimitKey =
  | RateLimitKeyPart
  | readonly RateLimitKeyPart[]
  | ((context: ExecutionContext) => string | undefined | Promise<string | undefined>);

/**
 * One decision: every tier is checked, and the request is admitted only if all of them admit it.
 * @publicApi
 */
export interface RateLimitPolicy {
  /** @default 'ip' */
  key?: RateLimitKey;
  tiers: readonly RateLimitTier[];
  /** Units a request spends, e.g. more for an expensive export. @default 1 */
  cost?: number | ((context: ExecutionContext) => number);
  /** @default the module's `algorithm` */
  algorithm?: RateLimitAlgorithm;
  /**
   * Counters are shared by every route whose policy has the same name and key. Defaults to where
   * the decorator stands (`NotesController` or `NotesController.create`), `default` for the
   * module's default policy.
   */
  name?: string;
}

/**
 * Options of {@link RateLimitModule}.
 * @publicApi
 */
export interface RateLimitModuleOptions {
  /**
   * Where counters live. `'auto'` uses core's shared store when it is Redis and a private bounded
   * in-memory store otherwise (so a flood of rate-limit keys cannot evict other libs' state);
   * `'memory'` always a private one (per process); `'core'` always core's store; or any {@link Store}.
   * @default 'auto'
   */
  store?: 'auto' | 'memory' | 'core' | Store;
  /**
   * Applied to every route without its own `@RateLimit()`; `false` limits only decorated routes.
   * @default { key: 'ip', tiers: DEFAULT_TIERS } (100/minute, 1000/hour, 10000/day per IP)
   */
  defaultPolicy?: RateLimitPolicy | false;
  /** @default 'sliding-window' */
  algorithm?: RateLimitAlgorithm;
  /**
   * When the store fails or misses the deadline: `failOpen` decides with a per-instance in-memory
   * limiter applying the same tiers (availability first: an outage of Redis does not take the API
   * down, and each instance still limits); `failClosed` answers 503 (for limits that protect
   * something costlier than an outage, e.g. paid third-party calls).
   * @default 'failOpen'
   */
  onStoreFailure?: 'failOpen' | 'failClosed';
  /** A shared store slower than this is treated as down. @default 50 */
  deadlineMs?: number;
  /**
   * `ietf`: `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-11);
   * `legacy`: `X-RateLimit-Limit/Remaining/Reset` as @nestjs/throttler sends; `both`; `none`.
   * `Retry-After` is always sent with a 429.
   * @default 'ietf'
   */
  headers?: 'ietf' | 'legacy' | 'both' | 'none';
  /** Prefix of every key, inside the store's own prefix. @default 'rl:' */
  keyPrefix?: string;
  /** Most keys of the in-memory stores (private store and outage insurance). @default 100_000 */
  memoryCapacity?: number;
  /**
   * Named policies, used as `@RateLimit('login')`: tiers can then come from configuration, and
   * every route naming a policy shares its counters.
   */
  policies?: Record<string, RateLimitPolicy>;
  /** Login throttling by {@link LoginThrottle}: failed logins allowed per account and per IP. */
  login?: LoginThrottleOptions;
}

/**
 * `failures` failed logins within `window` are allowed; the next attempt is refused (429) and
 * every attempt for `blockFor` after it.
 * @publicApi
 */
export interface LoginLimit {
  failures: number;
  window: Duration;
  blockFor: Duration;
}

/**
 * Options of {@link LoginThrottle}. Both limits apply to every attempt; only failures count, and a
 * success forgives the account's failures.
 * @publicApi
 */
export interface LoginThrottleOptions {
  /**
   * Failures per account (its name normalised and hashed in the key), from any number of IPs:
   * guessing one user's password from a botnet (OWASP Authentication Cheat Sheet, account lockout).
   * @default { failures: 10, window: '15m', blockFor: '15m' }
   */
  perAccount?: LoginLimit;
  /**
   * Failures per client IP, whatever the accounts: credential stuffing from one address.
   * @default { failures: 20, window: '15m', blockFor: '15m' }
   */
  perIp?: LoginLimit;
}

/** The design notes' three tiers. @publicApi */
export const DEFAULT_TIERS: readonly RateLimitTier[] = Object.freeze([
  { name: 'minute', limit: 100, window: '1m' },
  { name: 'hour', limit: 1000, window: '1h' },
  { name: 'day', limit: 10_000, window: '1d' },
]);

/** Above this, `sliding-log` would keep too many entries per key: use `sliding-window`. */
export const MAX_SLIDING_LOG_LIMIT = 10_000;

export interface ResolvedTier {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly blockForMs: number;
  readonly algorithm: RateLimitAlgorithm;
}

export interface ResolvedPolicy {
  readonly name: string;
  readonly key: RateLimitKey;
  readonly tiers: readonly ResolvedTier[];
  readonly cost: number | ((context: ExecutionContext) => number);
}

export interface ResolvedRateLimitOptions {
  readonly store: 'auto' | 'memory' | 'core' | Store;
  readonly defaultPolicy: ResolvedPolicy | undefined;
  readonly algorithm: RateLimitAlgorithm;
  readonly onStoreFailure: 'failOpen' | 'failClosed';
  readonly deadlineMs: number;
  readonly headers: 'ietf' | 'legacy' | 'both' | 'none';
  readonly keyPrefix: string;
  readonly memoryCapacity: number;
  readonly policies: ReadonlyMap<string, ResolvedPolicy>;
  readonly login: ResolvedLoginOptions;
}

export interface ResolvedLoginLimit {
  readonly failures: number;
  readonly windowMs: number;
  readonly blockForMs: number;
}

export interface ResolvedLoginOptions {
  readonly perAccount: ResolvedLoginLimit;
  readonly perIp: ResolvedLoginLimit;
}

const DEFAULT_LOGIN: Required<LoginThrottleOptions> = {
  perAccount: { failures: 10, window: '15m', blockFor: '15m' },
  perIp: { failures: 20, window: '15m', blockFor: '15m' },
};

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;
const TIER_NAME = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_PARTS: readonly string[] = ['ip', 'user', 'apiKey', 'route'];
const ALGORITHMS: readonly string[] = ['sliding-log', 'sliding-window', 'token-bucket'];
/** Windows are aligned and compared in milliseconds; a year is plenty and keeps arithmetic exact. */
const MAX_WINDOW_MS = 366 * 86_400_000;

/** Not a type guard: narrowing to `any[]` would lose the tier type. */
const isList = (value: unknown): boolean => Array.isArray(value);

function invalid(message: string): InvalidOptionsError {
  return new InvalidOptionsError('RATE_LIMIT_INVALID_OPTIONS', message);
}

export function parseDuration(value: Duration, what: string): number {
  const ms =
    typeof value === 'number'
      ? value
      : (() => {
          const [, amount, unit] = DURATION.exec(value) ?? [];
          return amount !== undefined && unit !== undefined ? Number(amount) * (UNITS[unit] ?? NaN) : NaN;
        })();
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > MAX_WINDOW_MS) {
    throw invalid(`${what} must be a positive duration such as 1000, '30s', '1m', '1h' or '1d' (at most 366d).`);
  }
  return ms;
}

function checkAlgorithm(value: unknown, what: string): RateLimitAlgorithm {
  if (typeof value !== 'string' || !ALGORITHMS.includes(value)) {
    throw invalid(`${what} must be one of ${ALGORITHMS.join(', ')}.`);
  }
  return value as RateLimitAlgorithm;
}

/** Validates a policy once, at bootstrap (module default) or at first use of a decorated route. */
export function resolvePolicy(
  raw: RateLimitPolicy,
  fallbackName: string,
  defaultAlgorithm: RateLimitAlgorithm,
): ResolvedPolicy {
  const where = `Rate-limit policy "${raw.name ?? fallbackName}"`;
  const algorithm = checkAlgorithm(raw.algorithm ?? defaultAlgorithm, `${where}: algorithm`);
  const rawTiers: readonly RateLimitTier[] = raw.tiers;
  if (!isList(rawTiers) || rawTiers.length === 0 || rawTiers.length > 10) {
    throw invalid(`${where} needs 1 to 10 tiers.`);
  }
  const names = new Set<string>();
  const tiers = rawTiers.map((tier): ResolvedTier => {
    if (typeof tier.name !== 'string' || !TIER_NAME.test(tier.name) || names.has(tier.name)) {
      throw invalid(`${where}: each tier needs a distinct name of letters, digits, '-' or '_' (≤ 32).`);
    }
    names.add(tier.name);
    const tierAlgorithm = checkAlgorithm(tier.algorithm ?? algorithm, `${where}, tier ${tier.name}: algorithm`);
    const max = tierAlgorithm === 'sliding-log' ? MAX_SLIDING_LOG_LIMIT : 1_000_000_000;
    if (!Number.isSafeInteger(tier.limit) || tier.limit < 1 || tier.limit > max) {
      throw invalid(
        `${where}, tier ${tier.name}: limit must be a whole number from 1 to ${max}` +
          (tierAlgorithm === 'sliding-log' ? ' for sliding-log (use sliding-window for larger limits).' : '.'),
      );
    }
    return Object.freeze({
      name: tier.name,
      limit: tier.limit,
      windowMs: parseDuration(tier.window, `${where}, tier ${tier.name}: window`),
      blockForMs:
        tier.blockFor === undefined ? 0 : parseDuration(tier.blockFor, `${where}, tier ${tier.name}: blockFor`),
      algorithm: tierAlgorithm,
    });
  });
  const key = raw.key ?? 'ip';
  const parts: readonly string[] = typeof key === 'function' ? [] : typeof key === 'string' ? [key] : key;
  if (typeof key !== 'function' && (parts.length === 0 || parts.some((part) => !KEY_PARTS.includes(part)))) {
    throw invalid(`${where}: key must be ${KEY_PARTS.join(', ')}, an array of them, or a function.`);
  }
  const cost = raw.cost ?? 1;
  if (typeof cost === 'number' && (!Number.isSafeInteger(cost) || cost < 1)) {
    throw invalid(`${where}: cost must be a positive whole number or a function.`);
  }
  const name = raw.name ?? fallbackName;
  if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(name)) {
    throw invalid(`${where}: name must be 1 to 100 letters, digits, '_', '.', ':' or '-'.`);
  }
  return Object.freeze({ name, key, tiers: Object.freeze(tiers), cost });
}

function resolveLoginLimit(raw: LoginLimit, what: string): ResolvedLoginLimit {
  if (!Number.isSafeInteger(raw.failures) || raw.failures < 1 || raw.failures > 1_000_000) {
    throw invalid(`${what}.failures must be a whole number from 1 to 1000000.`);
  }
  return Object.freeze({
    failures: raw.failures,
    windowMs: parseDuration(raw.window, `${what}.window`),
    blockForMs: parseDuration(raw.blockFor, `${what}.blockFor`),
  });
}

function resolveLoginOptions(raw: LoginThrottleOptions = {}): ResolvedLoginOptions {
  return Object.freeze({
    perAccount: resolveLoginLimit(raw.perAccount ?? DEFAULT_LOGIN.perAccount, 'login.perAccount'),
    perIp: resolveLoginLimit(raw.perIp ?? DEFAULT_LOGIN.perIp, 'login.perIp'),
  });
}

export function resolveRateLimitOptions(raw: RateLimitModuleOptions = {}): ResolvedRateLimitOptions {
  const algorithm = checkAlgorithm(raw.algorithm ?? 'sliding-window', 'algorithm');
  const onStoreFailure = raw.onStoreFailure ?? 'failOpen';
  if (!['failOpen', 'failClosed'].includes(onStoreFailure)) {
    throw invalid(`onStoreFailure must be 'failOpen' or 'failClosed'.`);
  }
  const deadlineMs = raw.deadlineMs ?? 50;
  if (!Number.isSafeInteger(deadlineMs) || deadlineMs < 1 || deadlineMs > 10_000) {
    throw invalid('deadlineMs must be a whole number of milliseconds from 1 to 10000.');
  }
  const headers = raw.headers ?? 'ietf';
  if (!['ietf', 'legacy', 'both', 'none'].includes(headers)) {
    throw invalid(`headers must be 'ietf', 'legacy', 'both' or 'none'.`);
  }
  const memoryCapacity = raw.memoryCapacity ?? 100_000;
  if (!Number.isSafeInteger(memoryCapacity) || memoryCapacity < 1) {
    throw invalid('memoryCapacity must be a positive whole number.');
  }
  const store = raw.store ?? 'auto';
  if (typeof store === 'string' ? !['auto', 'memory', 'core'].includes(store) : typeof store.run !== 'function') {
    throw invalid(`store must be 'auto', 'memory', 'core' or a Store.`);
  }
  const keyPrefix = raw.keyPrefix ?? 'rl:';
  // Braces would move the Redis Cluster hash tag out of the decision's key.
  if (/[{}\s]/.test(keyPrefix) || keyPrefix.length > 64) {
    throw invalid('keyPrefix must have no braces or spaces and at most 64 characters.');
  }
  const defaultPolicy =
    raw.defaultPolicy === false
      ? undefined
      : resolvePolicy(raw.defaultPolicy ?? { key: 'ip', tiers: DEFAULT_TIERS }, 'default', algorithm);
  const policies = new Map<string, ResolvedPolicy>();
  for (const [name, policy] of Object.entries(raw.policies ?? {})) {
    policies.set(name, resolvePolicy({ name, ...policy }, name, algorithm));
  }
  return Object.freeze({
    store,
    policies,
    defaultPolicy,
    algorithm,
    onStoreFailure,
    deadlineMs,
    headers,
    keyPrefix,
    memoryCapacity,
    login: resolveLoginOptions(raw.login),
  });
}
