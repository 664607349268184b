import type { AnyAbility } from '@casl/ability';
import { InvalidOptionsError } from '@rampart/core';
import type { JWK } from 'jose';
import type { ApiKeyStorage } from './api-keys/storage/api-key.storage';
import type { Principal } from './principal';
import { expandRoleHierarchy } from './roles';
import { isScopeToken } from './tokens/access-token';
import { DPOP_ALGORITHMS, DPOP_ALLOWED_ALGORITHMS } from './tokens/dpop-proof';
import type { ClientStatusProvider, UserStatusProvider } from './user-status';

/** Which credentials a route requires. @publicApi */
export type AuthMode = 'jwt' | 'apiKey' | 'either' | 'both';
export const AUTH_MODES: readonly AuthMode[] = ['jwt', 'apiKey', 'either', 'both'];

/** A public verification key: a JWK (private members are dropped) or an SPKI PEM. @publicApi */
export type VerificationKey = JWK | { pem: string; kid?: string; alg?: string };

/** @publicApi */
export interface JwtOptions {
  /** The only accepted `iss`. */
  issuer: string;
  /** The accepted `aud` value(s): this API's identifier. */
  audience: string | string[];
  /** Local public keys (JWK or PEM). Give `keys` or `jwksUrl`, not both. */
  keys?: VerificationKey[];
  /** The issuer's JWKS, fetched on first use and again (at most once per cooldown) on an unknown `kid`. */
  jwksUrl?: string;
  /**
   * Accepted `alg` values. Asymmetric only: `none` and HMAC (`HS*`) are refused at start, since
   * with public keys an HMAC "signature" could be forged by anyone holding the public key.
   * @default ['ES256']
   */
  algorithms?: string[];
  /** Leeway for `exp`, `nbf` and `iat` between this server's clock and the issuer's. @default 5 (max 60) */
  clockToleranceSeconds?: number;
  /** Longer tokens are refused before any parsing. @default 8192 */
  maxTokenBytes?: number;
  /** Remote JWKS fetching. @default { cooldownMs: 30_000, cacheMaxAgeMs: 600_000, timeoutMs: 5_000 } */
  jwks?: { cooldownMs?: number; cacheMaxAgeMs?: number; timeoutMs?: number };
  /**
   * Verified tokens are remembered (by SHA-256 of the token) until they expire, or `maxTtlMs`,
   * whichever comes first. Revocation and account status are still checked on every request.
   * `false` verifies the signature on every request.
   * @default { maxEntries: 10_000, maxTtlMs: 300_000 }
   */
  cache?: { maxEntries?: number; maxTtlMs?: number } | false;
  /**
   * Refuse tokens without `client_id` (RFC 9068 §2.2 requires it: it tells which application
   * holds the token, and a client's own token from a user's). Rampart's OAuth server always sets
   * it. `false` only for a third-party issuer whose access tokens lack it. @default true
   */
  requireClientId?: boolean;
  /**
   * DPoP (RFC 9449): a token bound to a key (`cnf.jkt`) is accepted only as `Authorization: DPoP`
   * with a proof of that key for this request. Always on; these tune it.
   */
  dpop?: DpopOptions;
}

/** @publicApi */
export interface DpopOptions {
  /** Accepted proof algorithms (asymmetric only). @default ['ES256', 'EdDSA', 'PS256', 'RS256'] */
  algorithms?: string[];
  /** How old a proof (`iat`) may be; its `jti` is remembered that long. @default 60 (max 600) */
  proofMaxAgeSeconds?: number;
  /**
   * This API's public origin (`https://api.example.com`), which proofs' `htu` must name. Without it,
   * the request's protocol (trusted proxies considered) and `Host` header are used.
   */
  origin?: string;
  /**
   * Require a server nonce in every proof (RFC 9449 §9), so a proof cannot be made in advance by
   * someone who holds the key for a while: a proof without one (or with a stale or foreign one) is
   * answered 401 `use_dpop_nonce` with a `DPoP-Nonce` header to sign the next proof with. Nonces
   * are core-Store-wide (an HMAC of a 5-minute slot under a secret in the Store, shared with
   * `@rampart/oauth-server`'s token endpoint): every instance accepts them. @default false
   */
  requireNonce?: boolean;
}

/** @publicApi */
export interface ApiKeyOptions {
  /** The recognisable start of every key (for secret scanners and humans). @default 'rk' */
  prefix?: string;
  /** Request header carrying the key. @default 'x-api-key' */
  header?: string;
  /** Where keys live. @default Redis when the core Store is Redis, otherwise in memory */
  storage?: ApiKeyStorage;
  /** `lastUsedAt` is written at most this often per key, so use does not mean a write per request. @default 60_000 */
  lastUsedWriteIntervalMs?: number;
  /**
   * The only scopes a key may carry: issuing a key with any other (`*`, `admin`, a typo) is a
   * 400, and a stored key's other scopes grant nothing when it is verified. Without it, the
   * scopes the routes declare with `@Scopes()` (the route inventory) are the allowlist.
   * @default the scopes declared by `@Scopes()` on this application's routes
   */
  scopes?: string[];
}

/** Route table at start (OWASP API9). @publicApi */
export interface RouteInventoryOptions {
  /** Print the table at start. @default NODE_ENV === 'development' */
  print?: boolean;
  /**
   * Refuse to start when a route carries none of `@Public()`, `@Auth()`, `@Scopes()`, `@Roles()`:
   * every route's protection is then a decision someone wrote down. @default false
   */
  requireExplicitDecision?: boolean;
  /** Extra text for a route's `notes` column, e.g. its rate limits. */
  annotate?: (
    handler: (...args: never[]) => unknown,
    controller: abstract new (...args: never[]) => unknown,
  ) => string | undefined;
}

/** Options of {@link AuthModule}. @publicApi */
export interface AuthModuleOptions {
  /** JWT bearer tokens. Required unless `defaultMode` is `apiKey`. */
  jwt?: JwtOptions;
  apiKeys?: ApiKeyOptions;
  /** Credentials a route needs when it has no `@Auth()`. @default 'jwt' */
  defaultMode?: AuthMode;
  /** Roles each role includes, e.g. `{ admin: ['user'] }`; transitive, cycles refused at start. */
  roleHierarchy?: Record<string, string[]>;
  /** Checked on every request with a user token. Without it, a token is trusted until it expires. */
  userStatus?: UserStatusProvider;
  /**
   * Checked on every request with a token a client obtained for itself (`client_credentials`):
   * the client must still be registered and enabled. Without it, `userStatus` sees those tokens.
   */
  clientStatus?: ClientStatusProvider;
  /** Builds the CASL ability of a caller, for {@link Policies} and `@SerializeAs()`. */
  abilities?: (principal: Principal) => AnyAbility;
  /** Response fields never sent, whatever the abilities say. @default ['password', 'passwordHash'] */
  alwaysHiddenFields?: string[];
  /** `realm` of the `WWW-Authenticate` challenges. @default 'api' */
  realm?: string;
  /**
   * Emit an `auth.success` event per authenticated request to whoever listens (`@rampart/audit`'s
   * metrics); it is built only then, and logged only when core's `logEvents` lists it.
   * @default true
   */
  emitSuccessEvents?: boolean;
  inventory?: RouteInventoryOptions;
}

export interface ResolvedJwtOptions {
  readonly issuer: string;
  readonly audience: string | string[];
  readonly keys: readonly VerificationKey[] | undefined;
  readonly jwksUrl: URL | undefined;
  readonly algorithms: readonly string[];
  readonly clockToleranceSeconds: number;
  readonly maxTokenBytes: number;
  readonly jwks: { readonly cooldownMs: number; readonly cacheMaxAgeMs: number; readonly timeoutMs: number };
  readonly cache: { readonly maxEntries: number; readonly maxTtlMs: number } | false;
  readonly requireClientId: boolean;
  readonly dpop: {
    readonly algorithms: readonly string[];
    readonly proofMaxAgeSeconds: number;
    readonly origin: string | undefined;
    readonly requireNonce: boolean;
  };
}

export interface ResolvedAuthOptions {
  readonly jwt: ResolvedJwtOptions | undefined;
  readonly apiKeys: {
    readonly prefix: string;
    readonly header: string;
    readonly storage: ApiKeyStorage | undefined;
    readonly lastUsedWriteIntervalMs: number;
    /** The configured allowlist; `undefined`: the scopes the routes declare. */
    readonly scopes: ReadonlySet<string> | undefined;
  };
  readonly defaultMode: AuthMode;
  /** Each role mapped to itself and every role it includes. */
  readonly roleHierarchy: ReadonlyMap<string, ReadonlySet<string>>;
  readonly userStatus: UserStatusProvider | undefined;
  readonly clientStatus: ClientStatusProvider | undefined;
  readonly abilities: ((principal: Principal) => AnyAbility) | undefined;
  readonly alwaysHiddenFields: readonly string[];
  readonly realm: string;
  readonly emitSuccessEvents: boolean;
  readonly inventory: {
    readonly print: boolean;
    readonly requireExplicitDecision: boolean;
    readonly annotate: RouteInventoryOptions['annotate'];
  };
}

/** Asymmetric JWS algorithms jose verifies. Anything else (none, HS*) is refused. */
const ASYMMETRIC_ALGORITHMS: readonly string[] = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
];

function fail(message: string): never {
  throw new InvalidOptionsError('AUTH_INVALID_OPTIONS', message);
}

function positiveInt(value: number | undefined, fallback: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) fail(`${name} must be a whole number from 0 to ${max}, got ${n}.`);
  return n;
}

function resolveJwt(raw: JwtOptions): ResolvedJwtOptions {
  if (typeof raw.issuer !== 'string' || raw.issuer.length === 0) fail('jwt.issuer is required.');
  const audiences = Array.isArray(raw.audience) ? raw.audience : [raw.audience];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a.length === 0)) {
    fail('jwt.audience is required: the identifier of this API that tokens must name in `aud`.');
  }
  const hasKeys = raw.keys !== undefined && raw.keys.length > 0;
  if (hasKeys === (raw.jwksUrl !== undefined)) fail('jwt needs exactly one of `keys` and `jwksUrl`.');
  let jwksUrl: URL | undefined;
  if (raw.jwksUrl !== undefined) {
    try {
      jwksUrl = new URL(raw.jwksUrl);
    } catch {
      fail('jwt.jwksUrl must be an absolute URL.');
    }
    if (jwksUrl.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(jwksUrl.hostname)) {
      // Keys fetched over plain HTTP could be swapped by anyone on the path.
      fail('jwt.jwksUrl must use https (http is allowed for localhost only).');
    }
  }
  const algorithms = raw.algorithms ?? ['ES256'];
  if (algorithms.length === 0) fail('jwt.algorithms must name at least one algorithm.');
  for (const alg of algorithms) {
    if (!ASYMMETRIC_ALGORITHMS.includes(alg)) {
      fail(
        `jwt.algorithms: "${alg}" is not allowed; use asymmetric algorithms only (${ASYMMETRIC_ALGORITHMS.join(', ')}).`,
      );
    }
  }
  const cache =
    raw.cache === false
      ? false
      : {
          maxEntries: positiveInt(raw.cache?.maxEntries, 10_000, 'jwt.cache.maxEntries'),
          maxTtlMs: positiveInt(raw.cache?.maxTtlMs, 300_000, 'jwt.cache.maxTtlMs'),
        };
  return Object.freeze({
    issuer: raw.issuer,
    audience: raw.audience,
    keys: hasKeys ? Object.freeze([...(raw.keys ?? [])]) : undefined,
    jwksUrl,
    algorithms: Object.freeze([...algorithms]),
    clockToleranceSeconds: positiveInt(raw.clockToleranceSeconds, 5, 'jwt.clockToleranceSeconds', 60),
    maxTokenBytes: positiveInt(raw.maxTokenBytes, 8192, 'jwt.maxTokenBytes', 65_536),
    jwks: Object.freeze({
      cooldownMs: positiveInt(raw.jwks?.cooldownMs, 30_000, 'jwt.jwks.cooldownMs'),
      cacheMaxAgeMs: positiveInt(raw.jwks?.cacheMaxAgeMs, 600_000, 'jwt.jwks.cacheMaxAgeMs'),
      timeoutMs: positiveInt(raw.jwks?.timeoutMs, 5_000, 'jwt.jwks.timeoutMs'),
    }),
    cache,
    requireClientId: raw.requireClientId ?? true,
    dpop: resolveDpop(raw.dpop ?? {}),
  });
}

function resolveDpop(raw: DpopOptions): ResolvedJwtOptions['dpop'] {
  const algorithms = raw.algorithms ?? [...DPOP_ALGORITHMS];
  if (algorithms.length === 0 || !algorithms.every((alg) => DPOP_ALLOWED_ALGORITHMS.includes(alg))) {
    fail(`jwt.dpop.algorithms must be some of ${DPOP_ALLOWED_ALGORITHMS.join(', ')}.`);
  }
  let origin: string | undefined;
  if (raw.origin !== undefined) {
    try {
      origin = new URL(raw.origin).origin;
    } catch {
      fail('jwt.dpop.origin must be an absolute URL, e.g. https://api.example.com.');
    }
  }
  if (raw.requireNonce !== undefined && typeof raw.requireNonce !== 'boolean') {
    fail('jwt.dpop.requireNonce must be true or false.');
  }
  return Object.freeze({
    algorithms: Object.freeze([...algorithms]),
    proofMaxAgeSeconds: Math.max(1, positiveInt(raw.proofMaxAgeSeconds, 60, 'jwt.dpop.proofMaxAgeSeconds', 600)),
    origin,
    requireNonce: raw.requireNonce === true,
  });
}

function resolveApiKeyScopes(scopes: string[] | undefined): ReadonlySet<string> | undefined {
  if (scopes === undefined) return undefined;
  if (!Array.isArray(scopes) || scopes.length === 0) fail('apiKeys.scopes must list at least one scope.');
  for (const scope of scopes) {
    if (!isScopeToken(scope)) fail(`apiKeys.scopes: "${String(scope)}" is not a scope name.`);
    // Rampart matches scopes exactly: a `*` would not mean "everything" today, but it would
    // the day a route or a reader took it to; a wildcard is never something a key may carry.
    if (scope.includes('*')) fail(`apiKeys.scopes: "${scope}" is a wildcard; list the scopes a key may carry.`);
  }
  return new Set(scopes);
}

export function resolveAuthOptions(raw: AuthModuleOptions = {}): ResolvedAuthOptions {
  const defaultMode = raw.defaultMode ?? 'jwt';
  if (!AUTH_MODES.includes(defaultMode)) fail(`defaultMode must be one of ${AUTH_MODES.join(', ')}.`);
  if (!raw.jwt && defaultMode !== 'apiKey') {
    fail(`jwt options are required when defaultMode is '${defaultMode}'.`);
  }
  const prefix = raw.apiKeys?.prefix ?? 'rk';
  if (!/^[a-z][a-z0-9_]{0,15}$/.test(prefix)) fail('apiKeys.prefix must be 1-16 lower-case letters, digits or _.');
  const header = (raw.apiKeys?.header ?? 'x-api-key').toLowerCase();
  if (!/^[a-z0-9-]{1,64}$/.test(header) || header === 'authorization') {
    fail('apiKeys.header must be a header name other than Authorization.');
  }
  let roleHierarchy: Map<string, Set<string>>;
  try {
    roleHierarchy = expandRoleHierarchy(raw.roleHierarchy ?? {});
  } catch (error) {
    fail((error as Error).message);
  }
  const realm = raw.realm ?? 'api';
  if (!/^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/.test(realm)) fail('realm must be printable ASCII without " or \\.');
  return Object.freeze({
    jwt: raw.jwt ? resolveJwt(raw.jwt) : undefined,
    apiKeys: Object.freeze({
      prefix,
      header,
      storage: raw.apiKeys?.storage,
      lastUsedWriteIntervalMs: positiveInt(
        raw.apiKeys?.lastUsedWriteIntervalMs,
        60_000,
        'apiKeys.lastUsedWriteIntervalMs',
      ),
      scopes: resolveApiKeyScopes(raw.apiKeys?.scopes),
    }),
    defaultMode,
    roleHierarchy,
    userStatus: raw.userStatus,
    clientStatus: raw.clientStatus,
    abilities: raw.abilities,
    alwaysHiddenFields: Object.freeze([...(raw.alwaysHiddenFields ?? ['password', 'passwordHash'])]),
    realm,
    emitSuccessEvents: raw.emitSuccessEvents ?? true,
    inventory: Object.freeze({
      print: raw.inventory?.print ?? process.env.NODE_ENV === 'development',
      requireExplicitDecision: raw.inventory?.requireExplicitDecision ?? false,
      annotate: raw.inventory?.annotate,
    }),
  });
}
