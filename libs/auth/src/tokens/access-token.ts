import type { JWTPayload } from 'jose';

/**
 * The JOSE `typ` of an access token (RFC 9068 §2.1). Checking it is what stops an ID token, a
 * logout token or any other JWT from the same issuer being replayed as an access token.
 * @publicApi
 */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/**
 * Claims of a Rampart access token: the RFC 9068 profile plus optional `roles` and `tenant_id`.
 * The OAuth server of this lib issues exactly this shape; the guard requires `sub`, `exp`, `iat`,
 * `jti` and `scope` and checks `iss` and `aud`.
 * @publicApi
 * @example
 * const claims: AccessTokenClaims = { iss, aud: 'https://api.example.com', sub: 'u1', client_id: 'spa',
 *   scope: 'notes:read', jti: randomUUID(), iat: now, exp: now + 900 };
 */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  /** Space-delimited scopes (RFC 9068 §2.2.3, RFC 6749 §3.3). */
  scope: string;
  client_id?: string;
  /** Confirmation (RFC 7800): `jkt`, the thumbprint of the DPoP key the token is bound to (RFC 9449 §6). */
  cnf?: { jkt?: string };
  roles?: string[];
  tenant_id?: string;
}

/** What the verifier hands the guard: the checked claims and their parsed scopes. */
export interface VerifiedAccessToken {
  readonly claims: Readonly<AccessTokenClaims>;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly tenantId: string | undefined;
}

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/** Splits a `scope` claim; `undefined` when it is not a well-formed scope string. */
export function parseScope(scope: unknown): string[] | undefined {
  if (typeof scope !== 'string' || scope.length > 4096) return undefined;
  const scopes = scope.split(' ').filter((s) => s.length > 0);
  return scopes.every((s) => SCOPE_TOKEN.test(s)) ? scopes : undefined;
}

/**
 * The `sub` of a token a client obtained for itself (client credentials): `client:<client_id>`.
 * RFC 9068 §2.2 has `sub` name the client then; the prefix keeps client ids and user ids apart, so
 * a client never passes for the user of the same id.
 * @publicApi
 * @example
 * clientSubject('reports-backend'); // 'client:reports-backend'
 */
export function clientSubject(clientId: string): string {
  return `client:${clientId}`;
}

/** Who a token speaks for: a user (through a client), or a client for itself. @publicApi */
export type PrincipalKind = 'user' | 'client';

/** `client` when `sub` is {@link clientSubject} of the token's own `client_id`, else `user`. */
export function principalKindOf(claims: Pick<AccessTokenClaims, 'sub' | 'client_id'>): PrincipalKind {
  return claims.client_id !== undefined && claims.sub === clientSubject(claims.client_id) ? 'client' : 'user';
}
