import type { AuthModuleOptions } from '@rampart/auth';
import type { RampartAsyncPart, RampartModuleOptions, RampartPartOptions } from '@rampart/nest';
import type { RateLimitModuleOptions, RateLimitPolicy } from '@rampart/rate-limit';
import { randomUUID } from 'node:crypto';
import type { TestTokens } from './test-tokens';

/** Options of {@link withRampartTesting}. @publicApi */
export interface RampartTestingOptions {
  /**
   * Prefix of every key this app writes (Store, rate-limit counters, threat state), so tests that
   * share one Redis never see each other's counters, bans or codes.
   * @default `rampart-test:<random uuid>:` (a new namespace per call)
   */
  namespace?: string;
  /**
   * `'isolate'`: limits as configured, counted in this app's namespace (tests that assert a 429).
   * `'relaxed'`: the module-level tiers (`defaultPolicy`, named `policies`, `login`) multiplied by
   * `relaxFactor`, so a suite's own traffic is never limited; per-route `@RateLimit()` tiers stay
   * as written, so a test can still assert them, and every answer still carries the headers.
   * @default 'isolate'
   */
  rateLimit?: 'isolate' | 'relaxed';
  /** How much `'relaxed'` multiplies limits by. @default 1000 */
  relaxFactor?: number;
  /**
   * `'isolate'`: threat mode as configured, behaviour counters and bans in this app's namespace.
   * `'monitor'`: findings are recorded and reported, nothing is blocked or banned (suites that send
   * hostile payloads on purpose and assert what the handler does).
   * @default 'isolate'
   */
  threat?: 'isolate' | 'monitor';
  /** When given, the app also trusts these tokens (`auth.jwt` issuer, audience and key). */
  tokens?: TestTokens;
}

function mapPart<T>(part: RampartPartOptions<T>, change: (options: T) => T): RampartAsyncPart<T> | T {
  if (typeof (part as Partial<RampartAsyncPart<T>>).useFactory !== 'function') return change(part as T);
  const async = part as RampartAsyncPart<T>;
  return {
    ...async,
    useFactory: async (...args: unknown[]) => change(await async.useFactory(...args)),
  };
}

function relaxPolicy(policy: RateLimitPolicy, factor: number): RateLimitPolicy {
  return { ...policy, tiers: policy.tiers.map((tier) => ({ ...tier, limit: tier.limit * factor })) };
}

function relaxRateLimit(options: RateLimitModuleOptions, factor: number): RateLimitModuleOptions {
  const login = options.login;
  return {
    ...options,
    ...(options.defaultPolicy ? { defaultPolicy: relaxPolicy(options.defaultPolicy, factor) } : {}),
    ...(options.policies
      ? {
          policies: Object.fromEntries(
            Object.entries(options.policies).map(([name, policy]) => [name, relaxPolicy(policy, factor)]),
          ),
        }
      : {}),
    ...(login
      ? {
          login: {
            ...login,
            ...(login.perAccount
              ? { perAccount: { ...login.perAccount, failures: login.perAccount.failures * factor } }
              : {}),
            ...(login.perIp ? { perIp: { ...login.perIp, failures: login.perIp.failures * factor } } : {}),
          },
        }
      : {}),
  };
}

/**
 * AuthModule options that trust `tokens` besides (or instead of) the app's own keys: the issuer
 * and audience become the kit's, its public key joins `jwt.keys`. An app that verifies a remote
 * JWKS (`jwksUrl`) verifies the kit's local key in tests instead.
 * @publicApi
 * @example
 * AuthModule.forRoot(testingAuthOptions(tokens, { defaultMode: 'jwt' }))
 */
export function testingAuthOptions(tokens: TestTokens, options: AuthModuleOptions = {}): AuthModuleOptions {
  const jwt = { ...options.jwt, issuer: tokens.issuer, audience: tokens.audience };
  // Local keys and a JWKS URL are exclusive: the remote issuer is not reachable from a test.
  delete jwt.jwksUrl;
  return { ...options, jwt: { ...jwt, keys: [...(jwt.keys ?? []), tokens.publicJwk] } };
}

/**
 * `RampartModule.forRoot` options for a test: each app writes under its own namespace (so one test
 * never spends another's limits or inherits its bans, even on a shared Redis), limits isolated or
 * relaxed, threat isolated or monitoring, and optionally the test tokens trusted. Works on plain
 * parts and on factory parts alike. Boot one app per test (or per `describe`) for per-test state.
 * @publicApi
 * @example
 * const tokens = await createTestTokens();
 * Test.createTestingModule({
 *   imports: [RampartModule.forRoot(withRampartTesting(rampartOptions, { tokens, rateLimit: 'relaxed' }))],
 * });
 */
export function withRampartTesting(
  options: RampartModuleOptions,
  testing: RampartTestingOptions = {},
): RampartModuleOptions {
  const namespace = testing.namespace ?? `rampart-test:${randomUUID()}:`;
  const factor = testing.relaxFactor ?? 1000;
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError('relaxFactor must be a positive integer.');
  const { core, auth, rateLimit, threat } = options;
  const tokens = testing.tokens;
  return {
    ...options,
    core: mapPart(core ?? {}, (c) =>
      c.store?.type === 'redis'
        ? { ...c, store: { ...c.store, keyPrefix: `${namespace}${c.store.keyPrefix ?? ''}` } }
        : c,
    ),
    ...(auth !== undefined && tokens ? { auth: mapPart(auth, (a) => testingAuthOptions(tokens, a)) } : {}),
    ...(rateLimit !== undefined
      ? {
          rateLimit: mapPart(rateLimit, (r) => ({
            ...(testing.rateLimit === 'relaxed' ? relaxRateLimit(r, factor) : r),
            keyPrefix: `${namespace}rl:`,
          })),
        }
      : {}),
    ...(threat !== undefined
      ? {
          threat: mapPart(threat, (t) => ({
            ...t,
            ...(testing.threat === 'monitor' ? { mode: 'monitor' as const } : {}),
            keyPrefix: `${namespace}threat:`,
          })),
        }
      : {}),
  };
}
