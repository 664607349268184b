/**
 * The parameters each endpoint of the OAuth server reads and validates itself, by name: a
 * registered exact `redirect_uri` (RFC 9700 §4.1.3), a `resource` from the configured allowlist
 * (RFC 8707), PKCE values against their RFC 7636 grammar, `state` as RFC 6749 VSCHARs, scopes and
 * clients against their registries, codes and tokens by hash lookup. A generic input inspector
 * (the threat module) scores a loopback `redirect_uri` or an absolute `resource` URI as SSRF and
 * refuses standard clients; an application exempts exactly these names on exactly these routes,
 * e.g. `@ThreatPolicy({ ignore: OAUTH_PROTOCOL_PARAMETERS.token.map((name) => 'body.' + name) })`
 * through the server's `routes.decorators`. `nonce` (OpenID Connect) is accepted and ignored:
 * never stored, echoed or interpreted.
 * @publicApi
 * @example
 * routes: { decorators: { authorize: [ThreatPolicy({ ignore: OAUTH_PROTOCOL_PARAMETERS.authorize.map((n) => `query.${n}`) })] } }
 */
export const OAUTH_PROTOCOL_PARAMETERS = Object.freeze({
  authorize: Object.freeze([
    'response_type',
    'response_mode',
    'client_id',
    'redirect_uri',
    'scope',
    'state',
    'code_challenge',
    'code_challenge_method',
    'resource',
    'interaction',
    'request_uri',
    'nonce',
    'dpop_jkt',
  ]),
  token: Object.freeze([
    'grant_type',
    'client_id',
    'client_secret',
    'code',
    'redirect_uri',
    'code_verifier',
    'refresh_token',
    'scope',
    'resource',
  ]),
  revoke: Object.freeze(['client_id', 'client_secret', 'token', 'token_type_hint']),
  introspect: Object.freeze(['client_id', 'client_secret', 'token', 'token_type_hint']),
  par: Object.freeze([
    'client_id',
    'client_secret',
    'response_type',
    'response_mode',
    'redirect_uri',
    'scope',
    'state',
    'code_challenge',
    'code_challenge_method',
    'resource',
    'nonce',
    'dpop_jkt',
  ]),
} satisfies Record<'authorize' | 'token' | 'revoke' | 'introspect' | 'par', readonly string[]>);
