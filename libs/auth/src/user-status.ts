import type { AccessTokenClaims } from './tokens/access-token';

/** @publicApi */
export type AccountStatus = 'active' | 'suspended' | 'locked' | 'deleted';

/** What the application knows of a token's subject now, as opposed to when the token was issued. */
export interface UserAccount {
  status: AccountStatus;
  /** Current roles; they replace the token's `roles` claim, so a demotion takes effect at once. */
  roles?: string[];
  tenantId?: string;
}

/**
 * Looks up the account behind a token on every request, so that a suspended, locked or deleted
 * user is refused even while their token has not expired. Return `undefined` for an unknown
 * subject (refused as deleted). Tokens a client obtained for itself (`client_credentials`, `sub`
 * `client:<id>`) go to {@link ClientStatusProvider} instead when one is given; without one, they
 * come here too (decide from `claims`). Keep it fast (an indexed read, or a short cache): it runs on every authenticated request.
 * @publicApi
 * @example
 * const userStatus: UserStatusProvider = { find: async (id) => users.findStatus(id) };
 */
export interface UserStatusProvider {
  find(userId: string, claims: Readonly<AccessTokenClaims>): Promise<UserAccount | undefined>;
}

/** What the application knows of a client now. @publicApi */
export interface ClientAccount {
  status: 'active' | 'disabled';
}

/**
 * Looks up the client behind a token a client obtained for itself (principal kind `client`:
 * client credentials) on every request, so a disabled client's tokens are refused at once, not
 * when they expire. Return `undefined` for an unknown client (refused). `@rampart/oauth-server`
 * gives one over its client registry: `OAuthServer.clientStatus`.
 * @publicApi
 * @example
 * const clientStatus: ClientStatusProvider = { find: async (id) => ((await db.clients.find(id))?.enabled ? { status: 'active' } : undefined) };
 */
export interface ClientStatusProvider {
  find(clientId: string, claims: Readonly<AccessTokenClaims>): Promise<ClientAccount | undefined>;
}
