import type { OAuthClient } from './clients/oauth-client';

/**
 * The signed-in user, as the host application knows them. `roles` and `tenantId` go into the
 * access token (`roles`, `tenant_id`), where `AuthModule`'s guard reads them.
 * @publicApi
 */
export interface OAuthUser {
  readonly id: string;
  readonly roles?: readonly string[];
  readonly tenantId?: string;
}

/** What a consent decision is about. @publicApi */
export interface ConsentRequest {
  readonly user: OAuthUser;
  readonly client: OAuthClient;
  readonly scopes: readonly string[];
}

/**
 * Login and consent belong to the host application; the server asks it through this interface.
 * `returnTo` is a same-origin path (`/oauth/authorize?interaction=…`) to send the user agent back
 * to once done; the pending request itself is kept server-side, in the Store.
 * @publicApi
 * @example
 * const interaction: OAuthInteraction = {
 *   currentUser: (req) => sessions.userOf(req),
 *   loginUrl: (returnTo) => `/login?return_to=${encodeURIComponent(returnTo)}`,
 * };
 */
export interface OAuthInteraction {
  /** The user signed in on this request (e.g. from a session cookie), or undefined. */
  currentUser(req: unknown): OAuthUser | undefined | Promise<OAuthUser | undefined>;
  /** Where to send a user who is not signed in. */
  loginUrl(returnTo: string): string;
  /**
   * The consent decision for a client that is not first-party: `granted`, `denied` (the client gets
   * `access_denied`), or `undefined` (not asked yet: the user is sent to `consentUrl`). Without it,
   * third-party clients are refused with `access_denied`.
   */
  consent?(
    req: unknown,
    request: ConsentRequest,
  ): 'granted' | 'denied' | undefined | Promise<'granted' | 'denied' | undefined>;
  /** Where to ask for consent. */
  consentUrl?(returnTo: string, request: ConsentRequest): string;
}
