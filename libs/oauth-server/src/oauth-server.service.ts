import { TokenRevocationList, type ClientStatusProvider } from '@rampart/auth';
import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { RAMPART_STORE, SecurityEvents, type Store } from '@rampart/core';
import { OAuthAccessTokens } from './access-tokens';
import type { OAuthClient } from './clients/oauth-client';
import { AuthorizationEndpoint, type AuthorizeOutcome } from './endpoints/authorization-endpoint';
import { IntrospectionEndpoint } from './endpoints/introspection-endpoint';
import {
  PushedAuthorizationEndpoint,
  type PushedAuthorizationResponse,
} from './endpoints/pushed-authorization-endpoint';
import { RevocationEndpoint } from './endpoints/revocation-endpoint';
import { TokenEndpoint, type TokenResponse } from './endpoints/token-endpoint';
import { TokenEndpointDpop } from './dpop/token-endpoint-dpop';
import { ClientAssertions } from './http/client-assertions';
import { ClientJwks } from './clients/client-jwks';
import { OAuthGrants } from './grants/oauth-grants';
import { OAuthState } from './grants/oauth-state';
import type { OAuthParams } from './http/params';
import { OAuthSigningKeys } from './keys/signing-keys';
import { OAUTH_SERVER_OPTIONS, OAUTH_SERVER_ROUTES } from './oauth.constants';
import { OAuthEvents, type OAuthRequestContext } from './oauth-events';
import type { ResolvedOAuthServerOptions, ResolvedRoutes } from './oauth.options';

export type { AuthorizeOutcome } from './endpoints/authorization-endpoint';
export type { TokenResponse } from './endpoints/token-endpoint';
export type { PushedAuthorizationResponse } from './endpoints/pushed-authorization-endpoint';
export type { OAuthRequestContext } from './oauth-events';

/**
 * The OAuth 2.1 authorization server: authorization code with PKCE (S256 only), refresh tokens
 * rotated on every use with reuse detection, client credentials, revocation (RFC 7009),
 * introspection (RFC 7662) and metadata (RFC 8414). Endpoints are served by the module's
 * controller; this service can also be called directly (e.g. to revoke a user's grant).
 *
 * Each endpoint is its own unit under `endpoints/`; what they share — the Store, the grants,
 * the access tokens and the security events — is built once here.
 * @publicApi
 */
@Injectable()
export class OAuthServer implements OnModuleDestroy {
  private readonly issuerBase: string;
  private readonly grants: OAuthGrants;
  private readonly authorizationEndpoint: AuthorizationEndpoint;
  private readonly tokenEndpoint: TokenEndpoint;
  private readonly revocationEndpoint: RevocationEndpoint;
  private readonly introspectionEndpoint: IntrospectionEndpoint;
  private readonly pushedAuthorizationEndpoint: PushedAuthorizationEndpoint;
  private readonly dpop: TokenEndpointDpop;
  private readonly assertions: ClientAssertions;
  private readonly clientJwks: ClientJwks;

  constructor(
    @Inject(OAUTH_SERVER_OPTIONS) private readonly options: ResolvedOAuthServerOptions,
    @Inject(OAUTH_SERVER_ROUTES) private readonly routes: ResolvedRoutes,
    private readonly keys: OAuthSigningKeys,
    @Inject(RAMPART_STORE) store: Store,
    revocations: TokenRevocationList,
    @Optional() events?: SecurityEvents,
  ) {
    this.issuerBase = options.issuer.replace(/\/+$/, '');
    const state = new OAuthState(store);
    const emitter = new OAuthEvents(events);
    const accessTokens = new OAuthAccessTokens(options, keys);
    this.grants = new OAuthGrants(options, state, accessTokens, revocations);
    this.authorizationEndpoint = new AuthorizationEndpoint(options, routes, state, emitter);
    const url = (path: string): string => `${this.issuerBase}/${path}`;
    this.dpop = new TokenEndpointDpop(options, store, { token: url(routes.token), par: url(routes.par) });
    this.clientJwks = new ClientJwks(options.clientJwks, events);
    // RFC 7523 §3: the audience is this server: its issuer, or the URL the assertion is sent to.
    this.assertions = new ClientAssertions(
      store,
      [options.issuer, url(routes.token), url(routes.revoke), url(routes.introspect), url(routes.par)],
      options.clientAssertionAlgorithms,
      this.clientJwks,
    );
    const assertions = this.assertions;
    this.tokenEndpoint = new TokenEndpoint(options, state, this.grants, accessTokens, emitter, this.dpop, assertions);
    this.revocationEndpoint = new RevocationEndpoint(
      options,
      state,
      this.grants,
      accessTokens,
      revocations,
      emitter,
      assertions,
    );
    this.introspectionEndpoint = new IntrospectionEndpoint(
      options,
      state,
      accessTokens,
      revocations,
      emitter,
      assertions,
    );
    this.pushedAuthorizationEndpoint = new PushedAuthorizationEndpoint(
      options,
      state,
      this.authorizationEndpoint,
      emitter,
      assertions,
      this.dpop,
    );
  }

  /**
   * `AuthModule`'s `clientStatus` over this server's client registry: a client-credentials token
   * is accepted only while its client is registered and enabled (the registry finds it), so a
   * disabled client's tokens stop working at once, not at `exp`. One registry read per request.
   * @example
   * AuthModule.forRootAsync({ inject: [OAuthServer], useFactory: (oauth) => ({ jwt, clientStatus: oauth.clientStatus }) })
   */
  readonly clientStatus: ClientStatusProvider = {
    find: async (clientId) => ((await this.options.clients.find(clientId)) ? { status: 'active' } : undefined),
  };

  async onModuleDestroy(): Promise<void> {
    await this.clientJwks.close();
  }

  /** RFC 8414 authorization server metadata. */
  metadata(): Record<string, unknown> {
    const url = (path: string): string => `${this.issuerBase}/${path}`;
    return {
      issuer: this.options.issuer,
      authorization_endpoint: url(this.routes.authorize),
      token_endpoint: url(this.routes.token),
      revocation_endpoint: url(this.routes.revoke),
      introspection_endpoint: url(this.routes.introspect),
      pushed_authorization_request_endpoint: url(this.routes.par),
      require_pushed_authorization_requests: this.options.requirePushedAuthorizationRequests,
      jwks_uri: url(this.routes.jwks),
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: this.authMethods(['client_secret_basic', 'client_secret_post', 'none']),
      token_endpoint_auth_signing_alg_values_supported: [...this.options.clientAssertionAlgorithms],
      revocation_endpoint_auth_methods_supported: this.authMethods([
        'client_secret_basic',
        'client_secret_post',
        'none',
      ]),
      revocation_endpoint_auth_signing_alg_values_supported: [...this.options.clientAssertionAlgorithms],
      introspection_endpoint_auth_methods_supported: this.authMethods(['client_secret_basic', 'client_secret_post']),
      introspection_endpoint_auth_signing_alg_values_supported: [...this.options.clientAssertionAlgorithms],
      scopes_supported: [...this.options.scopesSupported],
      authorization_response_iss_parameter_supported: true,
      dpop_signing_alg_values_supported: [...this.options.dpop.algorithms],
    };
  }

  /** `private_key_jwt` and, outside the FAPI 2.0 profile, the other methods. */
  private authMethods(others: string[]): string[] {
    return this.options.profile === 'fapi2' ? ['private_key_jwt'] : ['private_key_jwt', ...others];
  }

  /** The `DPoP-Nonce` every token and PAR endpoint answer carries when nonces are required (RFC 9449 §8). */
  dpopNonce(): Promise<string | undefined> {
    return this.dpop.nonce();
  }

  jwks(): { keys: object[] } {
    return this.keys.jwks();
  }

  /** `GET /oauth/authorize`: validates the request, then login, consent, and the code. */
  authorize(query: string, req: unknown, context: OAuthRequestContext = {}): Promise<AuthorizeOutcome> {
    return this.authorizationEndpoint.authorize(query, req, context);
  }

  /**
   * What a pending interaction asks for, for the host's consent page: the client and the scopes.
   * `returnTo` is the path the server handed to `loginUrl()`/`consentUrl()`.
   */
  describeInteraction(returnTo: string): Promise<{ client: OAuthClient; scopes: readonly string[] } | undefined> {
    return this.authorizationEndpoint.describeInteraction(returnTo);
  }

  /**
   * Whether `returnTo` is a resume link of this server, so a login page can redirect to it without
   * becoming an open redirector. Extra parameters after the id are allowed (`&consent=denied`).
   */
  isReturnPath(returnTo: string): boolean {
    return this.authorizationEndpoint.isReturnPath(returnTo);
  }

  /** `POST /oauth/par` (RFC 9126): a `request_uri` for the authorization endpoint. */
  pushAuthorizationRequest(
    params: OAuthParams,
    authorization: string | undefined,
    context: OAuthRequestContext,
  ): Promise<PushedAuthorizationResponse> {
    return this.pushedAuthorizationEndpoint.push(params, authorization, context);
  }

  /** `POST /oauth/token`. */
  token(params: OAuthParams, authorization: string | undefined, context: OAuthRequestContext): Promise<TokenResponse> {
    return this.tokenEndpoint.token(params, authorization, context);
  }

  /**
   * `POST /oauth/revoke` (RFC 7009). 200 for a token that is not valid (§2.2); a valid token of
   * another client is refused, `unauthorized_client` (§2.1). A refresh token revokes its whole
   * grant, access tokens included (§2.1).
   */
  revoke(params: OAuthParams, authorization: string | undefined, context: OAuthRequestContext): Promise<void> {
    return this.revocationEndpoint.revoke(params, authorization, context);
  }

  /** `POST /oauth/introspect` (RFC 7662): confidential clients only; others' tokens need `canIntrospect`. */
  introspect(
    params: OAuthParams,
    authorization: string | undefined,
    context: OAuthRequestContext,
  ): Promise<Record<string, unknown>> {
    return this.introspectionEndpoint.introspect(params, authorization, context);
  }

  /**
   * Revokes a grant: its refresh-token family, and every access token issued from it is put on
   * the revocation list the resource-server guard reads.
   * @returns how many access tokens were revoked
   */
  revokeGrant(grantId: string): Promise<number> {
    return this.grants.revoke(grantId);
  }
}
