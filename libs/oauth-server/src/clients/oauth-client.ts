import { DPOP_ALLOWED_ALGORITHMS, parseScope } from '@rampart/auth';
import type { JSONWebKeySet } from 'jose';
import { constantTimeEqual, InvalidOptionsError, isNonPublicIp } from '@rampart/core';
import { createHash, randomBytes } from 'node:crypto';
import { redirectUriProblem } from './redirect-uri';

/** The grants this server implements. No implicit, no password grant (OAuth 2.1 §10). @publicApi */
export type OAuthGrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';
const GRANT_TYPES: readonly string[] = ['authorization_code', 'refresh_token', 'client_credentials'];

/**
 * A registered client, as the registry hands it to the server. Secrets exist only as hashes.
 * @publicApi
 */
export interface OAuthClient {
  readonly id: string;
  /** `public`: a browser or native app, no secret, PKCE only; `confidential`: has a secret. */
  readonly type: 'public' | 'confidential';
  /** `sha256:<base64url>` of each accepted secret (several during a rotation). */
  readonly secretHashes: readonly string[];
  /** How it authenticates: `none` (public), a secret, or `private_key_jwt` with a key of `jwks`/`jwksUri`. */
  readonly authMethod: 'none' | 'client_secret' | 'private_key_jwt';
  /** Public keys of a `private_key_jwt` client (RFC 7591 `jwks`). */
  readonly jwks: JSONWebKeySet | undefined;
  /** Where a `private_key_jwt` client publishes its public keys (RFC 7591 `jwks_uri`). */
  readonly jwksUri?: string;
  readonly redirectUris: readonly string[];
  readonly grantTypes: readonly OAuthGrantType[];
  /** Scopes the client may request. */
  readonly scopes: readonly string[];
  /** Scopes granted when a request names none. @default [] */
  readonly defaultScopes: readonly string[];
  /** First-party clients skip the consent step. */
  readonly firstParty: boolean;
  /** May introspect tokens issued to other clients (a resource server). @default false */
  readonly canIntrospect: boolean;
  /**
   * `native` (an app on the user's device, RFC 8252): its loopback IP redirect URIs match on any
   * port (§7.3). `web`: exact matching only, port included (RFC 9700 §2.1). @default 'web'
   */
  readonly applicationType: 'web' | 'native';
  /** Authorization requests of this client must come through the PAR endpoint (RFC 9126 §5). @default false */
  readonly requirePushedAuthorizationRequests: boolean;
  /** Absolute refresh-token lifetime of this client, at most the server's. @default the server's */
  readonly refreshTokenTtlSeconds?: number;
  /** Idle refresh-token lifetime of this client, at most the server's. @default the server's */
  readonly refreshTokenIdleTtlSeconds?: number;
  /** Every token request must carry a DPoP proof (RFC 9449 §5.2 `dpop_bound_access_tokens`). */
  readonly dpopBoundAccessTokens: boolean;
  /** A new refresh token on every refresh (and reuse detection). Only confidential clients may opt out. */
  readonly refreshTokenRotation: boolean;
  readonly name: string;
}

/**
 * A client as it is registered. Give `secret` (hashed here, never kept) or `secretHashes`.
 * @publicApi
 * @example
 * { id: 'spa', type: 'public', redirectUris: ['https://app.example.com/callback'],
 *   grantTypes: ['authorization_code', 'refresh_token'], scopes: ['notes:read'] }
 */
export interface OAuthClientRegistration {
  id: string;
  type: 'public' | 'confidential';
  /** Plain secret of a confidential client: at least 32 characters (it is hashed with SHA-256). */
  secret?: string;
  secretHashes?: string[];
  /**
   * Public keys of a confidential client that authenticates with `private_key_jwt` (RFC 7523)
   * instead of a secret: give `jwks` or a secret, not both.
   */
  jwks?: JSONWebKeySet;
  /**
   * Where such a client publishes its public keys (RFC 7591 `jwks_uri`), instead of `jwks`: fetched
   * through `@rampart/outbound` (SSRF-safe, size and time limits), cached, and fetched again for an
   * unknown `kid` (key rotation) at most once per `clientJwks.minRefetchIntervalSeconds`.
   */
  jwksUri?: string;
  redirectUris?: string[];
  grantTypes: OAuthGrantType[];
  scopes: string[];
  defaultScopes?: string[];
  firstParty?: boolean;
  canIntrospect?: boolean;
  /** `native` for apps on the user's device: loopback redirect URIs on any port (RFC 8252 §7.3). @default 'web' */
  applicationType?: 'web' | 'native';
  refreshTokenTtlSeconds?: number;
  refreshTokenIdleTtlSeconds?: number;
  /** Authorization requests only through the PAR endpoint (RFC 9126 §5). @default false */
  requirePushedAuthorizationRequests?: boolean;
  /** Require a DPoP proof on every token request of this client. @default false */
  dpopBoundAccessTokens?: boolean;
  /**
   * Rotate the refresh token on every use, with reuse detection (RFC 9700 §4.14.2). `false` keeps
   * one refresh token for the grant's life (each use restarts its idle time): what FAPI 2.0 asks of
   * servers, since a lost refresh response must not end a confidential client's grant. Confidential
   * clients only: a public client's refresh token has no other protection. @default true
   */
  refreshTokenRotation?: boolean;
  name?: string;
}

const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const SECRET_HASH = /^sha256:[A-Za-z0-9_-]{43}$/;
/** A stand-in digest, so an unknown client costs the same comparison as a known one. */
const DUMMY_DIGEST = createHash('sha256').update('rampart:no-client').digest();

/**
 * The stored form of a client secret. A fast hash is enough: secrets are high-entropy (at least 32
 * characters, {@link generateClientSecret} gives 256 bits), so there is no dictionary to try.
 * @publicApi
 * @example
 * const hash = hashClientSecret(process.env.BACKEND_CLIENT_SECRET!);
 */
export function hashClientSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('base64url')}`;
}

/** A new random client secret (256 bits, base64url). Show it once; store {@link hashClientSecret}. @publicApi */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether `secret` is one of the client's secrets: digests compared in constant time. */
export function secretMatches(client: OAuthClient | undefined, secret: string): boolean {
  const presented = createHash('sha256').update(secret).digest();
  if (!client || client.secretHashes.length === 0) {
    constantTimeEqual(presented, DUMMY_DIGEST);
    return false;
  }
  let matched = false;
  for (const hash of client.secretHashes) {
    const stored = Buffer.from(hash.slice('sha256:'.length), 'base64url');
    // Every hash is compared (no early exit), so timing does not tell which one matched.
    if (constantTimeEqual(stored, presented)) matched = true;
  }
  return matched;
}

export function isValidClientId(id: string): boolean {
  return CLIENT_ID.test(id);
}

function invalid(message: string): never {
  throw new InvalidOptionsError('AUTH_INVALID_OPTIONS', message);
}

/** Private and symmetric members: a key with any of them is not a public signing key. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/**
 * What is wrong with a client's JWKS, or undefined: public asymmetric signing keys only, each with
 * an allowed `alg` if it names one. Checked at registration (`jwks`) and on every fetch (`jwksUri`).
 */
export function jwksProblem(jwks: unknown, maxKeys = 10): string | undefined {
  const keys = (jwks as Partial<JSONWebKeySet> | null | undefined)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > maxKeys) {
    return `jwks must be { keys: [...] } with 1 to ${maxKeys} public keys`;
  }
  for (const key of keys as unknown[]) {
    if (typeof key !== 'object' || key === null) return 'jwks keys must be JSON objects';
    const jwk = key as Record<string, unknown>;
    if (!['EC', 'RSA', 'OKP'].includes(String(jwk.kty))) return 'jwks keys must be EC, RSA or OKP keys';
    // A private key published by mistake must not be used (nor kept): refuse the whole set.
    if (PRIVATE_MEMBERS.some((member) => member in jwk))
      return 'jwks must hold public keys only; one has private members';
    if (jwk.alg !== undefined && !DPOP_ALLOWED_ALGORITHMS.includes(jwk.alg as string)) {
      // Fetched sets end up in logs: quote a short piece of what was served, never all of it.
      return `jwks key alg ${JSON.stringify(jwk.alg).slice(0, 24)} is not an allowed signing algorithm`;
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') return 'jwks keys must be signing keys (use "sig")';
  }
  return undefined;
}

/** A copy of a checked JWKS that nothing can change afterwards. */
export function frozenJwks(jwks: JSONWebKeySet): JSONWebKeySet {
  return Object.freeze({
    keys: Object.freeze(jwks.keys.map((key) => Object.freeze({ ...key }))) as JSONWebKeySet['keys'],
  });
}

function checkJwks(jwks: JSONWebKeySet, where: string): JSONWebKeySet {
  const problem = jwksProblem(jwks);
  if (problem) invalid(`${where}: ${problem}.`);
  return frozenJwks(jwks);
}

/**
 * RFC 7591 `jwks_uri`: an absolute http(s) URL without credentials or fragment. A literal
 * non-public address (loopback, private, link-local, cloud metadata) is refused here, at
 * registration; a name is checked on every fetch, by the outbound client, against every address
 * it resolves to (server-side request forgery, OWASP API7).
 */
function checkJwksUri(uri: string, where: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    invalid(`${where}: jwksUri must be an absolute URL.`);
  }
  if (uri.length > 2048 || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    invalid(`${where}: jwksUri must be an https URL of at most 2048 characters.`);
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') {
    invalid(`${where}: jwksUri must have no credentials and no fragment.`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isNonPublicIp(host) === true) invalid(`${where}: jwksUri points to a non-public address (${host}).`);
  return url.href;
}

/** Checks a registration and turns it into the client the server uses; mistakes fail at start. */
export function toOAuthClient(registration: OAuthClientRegistration): OAuthClient {
  const r = registration;
  if (typeof r.id !== 'string' || !CLIENT_ID.test(r.id)) invalid(`OAuth client id "${r.id}" is malformed.`);
  const where = `OAuth client "${r.id}"`;
  if (!(['public', 'confidential'] as unknown[]).includes(r.type))
    invalid(`${where}: type must be 'public' or 'confidential'.`);
  if (
    !Array.isArray(r.grantTypes) ||
    r.grantTypes.length === 0 ||
    !r.grantTypes.every((g) => GRANT_TYPES.includes(g))
  ) {
    invalid(
      `${where}: grantTypes must list some of ${GRANT_TYPES.join(', ')} (implicit and password are not supported).`,
    );
  }
  const secretHashes = [...(r.secretHashes ?? [])];
  if (r.secret !== undefined) {
    if (typeof r.secret !== 'string' || r.secret.length < 32)
      invalid(`${where}: the secret must be at least 32 characters.`);
    secretHashes.push(hashClientSecret(r.secret));
  }
  if (!secretHashes.every((h) => SECRET_HASH.test(h)))
    invalid(`${where}: secretHashes must come from hashClientSecret().`);
  const jwks = r.jwks === undefined ? undefined : checkJwks(r.jwks, where);
  const jwksUri = r.jwksUri === undefined ? undefined : checkJwksUri(r.jwksUri, where);
  if (jwks && jwksUri) invalid(`${where}: give jwks or jwksUri, not both.`);
  const hasKeys = jwks !== undefined || jwksUri !== undefined;
  if (hasKeys && secretHashes.length > 0) invalid(`${where}: give jwks (private_key_jwt) or a secret, not both.`);
  if (r.type === 'confidential' && secretHashes.length === 0 && !hasKeys)
    invalid(`${where}: a confidential client needs a secret or jwks/jwksUri (private_key_jwt).`);
  if (r.type === 'public' && hasKeys) invalid(`${where}: a public client cannot authenticate; give no jwks.`);
  if (r.type === 'public' && secretHashes.length > 0)
    invalid(`${where}: a public client cannot keep a secret; give none.`);
  if (r.type === 'public' && r.grantTypes.includes('client_credentials')) {
    invalid(`${where}: client_credentials needs a confidential client.`);
  }
  const redirectUris = [...(r.redirectUris ?? [])];
  if (r.grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    invalid(`${where}: the authorization_code grant needs at least one redirect URI.`);
  }
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) invalid(`${where}: redirect URI "${uri}" ${problem}.`);
  }
  const applicationType = r.applicationType ?? 'web';
  if (!(['web', 'native'] as unknown[]).includes(applicationType))
    invalid(`${where}: applicationType must be 'web' or 'native'.`);
  for (const name of ['refreshTokenTtlSeconds', 'refreshTokenIdleTtlSeconds'] as const) {
    const value = r[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1))
      invalid(`${where}: ${name} must be a whole number of seconds.`);
  }
  if (r.refreshTokenRotation === false && r.type !== 'confidential') {
    // RFC 9700 §4.14.2: a public client's refresh token must rotate or be sender-constrained;
    // rotation is the one protection this server can guarantee for every public client.
    invalid(`${where}: refreshTokenRotation: false needs a confidential client.`);
  }
  const scopes = Array.isArray(r.scopes) ? parseScope(r.scopes.join(' ')) : undefined;
  const defaultScopes = parseScope((r.defaultScopes ?? []).join(' '));
  if (!scopes || !defaultScopes) invalid(`${where}: scopes must be RFC 6749 scope tokens.`);
  if (!defaultScopes.every((s) => scopes.includes(s))) invalid(`${where}: defaultScopes must be among its scopes.`);
  return Object.freeze({
    id: r.id,
    type: r.type,
    secretHashes: Object.freeze(secretHashes),
    authMethod: r.type === 'public' ? 'none' : hasKeys ? 'private_key_jwt' : 'client_secret',
    jwks,
    ...(jwksUri === undefined ? {} : { jwksUri }),
    redirectUris: Object.freeze(redirectUris),
    grantTypes: Object.freeze([...r.grantTypes]),
    scopes: Object.freeze(scopes),
    defaultScopes: Object.freeze(defaultScopes),
    firstParty: r.firstParty ?? false,
    canIntrospect: r.canIntrospect ?? false,
    applicationType,
    requirePushedAuthorizationRequests: r.requirePushedAuthorizationRequests === true,
    ...(r.refreshTokenTtlSeconds === undefined ? {} : { refreshTokenTtlSeconds: r.refreshTokenTtlSeconds }),
    ...(r.refreshTokenIdleTtlSeconds === undefined ? {} : { refreshTokenIdleTtlSeconds: r.refreshTokenIdleTtlSeconds }),
    dpopBoundAccessTokens: r.dpopBoundAccessTokens ?? false,
    refreshTokenRotation: r.refreshTokenRotation ?? true,
    name: r.name ?? r.id,
  });
}
