/** Injection token of the resolved {@link ResolvedOAuthServerOptions}. */
export const OAUTH_SERVER_OPTIONS = Symbol('RAMPART_OAUTH_SERVER_OPTIONS');
/** Injection token of the resolved endpoint paths. */
export const OAUTH_SERVER_ROUTES = Symbol('RAMPART_OAUTH_SERVER_ROUTES');
