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
 * subject (refused as deleted). For `client_credentials` tokens, whose `sub` is a client id,
 * decide from `claims` (e.g. return `{ status: 'active' }` when `claims.sub === claims.client_id`).
 * Keep it fast (an indexed read, or a short cache): it runs on every authenticated request.
 * @publicApi
 * @example
 * const userStatus: UserStatusProvider = { find: async (id) => users.findStatus(id) };
 */
export interface UserStatusProvider {
  find(userId: string, claims: Readonly<AccessTokenClaims>): Promise<UserAccount | undefined>;
}
