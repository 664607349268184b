import type { PrincipalKind } from './tokens/access-token';

/**
 * The user a valid access token speaks for, set as `request.user`. Other libs key on `id`
 * (the rate limiter: `request.user?.id`).
 * @publicApi
 * @example
 * @Get('me') me(@CurrentUser() user: AuthenticatedUser) { return user.id; }
 */
export interface AuthenticatedUser {
  /** The token's `sub` (`client:<client_id>` for a client's own token, see `kind`). */
  readonly id: string;
  /**
   * `client` for a token a client obtained for itself (client credentials: `sub` is
   * `client:<client_id>`), `user` otherwise. Check it before treating `id` as a user.
   */
  readonly kind: PrincipalKind;
  /** Roles as given by the {@link UserStatusProvider} (fresh) or else the token's `roles` claim. */
  readonly roles: readonly string[];
  /** The token's scopes. */
  readonly scopes: readonly string[];
  readonly tenantId: string | undefined;
  /** The OAuth client the token was issued to (`client_id`), when present. */
  readonly clientId: string | undefined;
  /** The token's `jti`, e.g. to revoke it. */
  readonly tokenId: string;
  /** The token's `exp`, in seconds since the epoch. */
  readonly expiresAt: number;
}

/**
 * The partner application a valid API key identifies, set as `request.apiKey`. Other libs key on
 * `id` (the rate limiter: `request.apiKey?.id`).
 * @publicApi
 * @example
 * @Auth('apiKey') @Get('stats') stats(@CurrentApiKey() key: AuthenticatedApiKey) { return key.name; }
 */
export interface AuthenticatedApiKey {
  /** The key id embedded in the key (not a secret): stable across rotations. */
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly ownerId: string | undefined;
  readonly tenantId: string | undefined;
}

/** Who is calling: the user, the application, or both (`@Auth('both')`). @publicApi */
export interface Principal {
  readonly user?: AuthenticatedUser;
  readonly apiKey?: AuthenticatedApiKey;
}

/** The request properties the authentication guard sets. @publicApi */
export interface AuthenticatedRequest {
  user?: AuthenticatedUser;
  apiKey?: AuthenticatedApiKey;
}

export function principalOf(req: object): Principal {
  const { user, apiKey } = req as AuthenticatedRequest;
  return { ...(user ? { user } : {}), ...(apiKey ? { apiKey } : {}) };
}
