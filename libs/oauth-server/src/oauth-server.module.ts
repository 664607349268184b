import { TokenRevocationList } from '@rampart/auth';
import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { useErrorRenderer } from '@rampart/errors';
import { renderOAuthError } from './http/oauth-error-renderer';
import { RAMPART_STORE, type Store } from '@rampart/core';
import { OAuthSigningKeys } from './keys/signing-keys';
import { OAUTH_SERVER_OPTIONS, OAUTH_SERVER_ROUTES } from './oauth.constants';
import {
  resolveOAuthServerOptions,
  type OAuthServerOptions,
  type ResolvedOAuthServerOptions,
  type ResolvedRoutes,
} from './oauth.options';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './oauth-server.module-definition';
import { OAuthServer } from './oauth-server.service';
import { InvalidOptionsError } from '@rampart/core';

function checkMetadataRoute(options: ResolvedOAuthServerOptions, routes: ResolvedRoutes): void {
  const issuerPath = new URL(options.issuer).pathname.replace(/\/+$/, '');
  if (issuerPath !== '' && !routes.metadata.endsWith(issuerPath)) {
    throw new InvalidOptionsError(
      'AUTH_INVALID_OPTIONS',
      `routes.metadata must end with the issuer's path "${issuerPath}" (RFC 8414 §3.1).`,
    );
  }
}

/**
 * The OAuth 2.1 authorization server: `GET /oauth/authorize`, `POST /oauth/token`,
 * `POST /oauth/revoke`, `POST /oauth/introspect`, RFC 8414 metadata and the JWKS. State lives in
 * core's Store (import `RampartCoreModule`); access tokens are the RFC 9068 JWTs `AuthModule`
 * verifies, and a revoked one is refused by its guard. Global by default, so `AuthModule`'s async
 * options can inject {@link OAuthSigningKeys} to verify the tokens of the same application.
 * @publicApi
 * @example
 * OAuthServerModule.forRoot({
 *   issuer: 'https://auth.example.com',
 *   resources: { allowed: ['https://api.example.com'], default: 'https://api.example.com' },
 *   clients: [{ id: 'spa', type: 'public', redirectUris: ['https://app.example.com/cb'],
 *               grantTypes: ['authorization_code', 'refresh_token'], scopes: ['notes:read'], firstParty: true }],
 *   interaction: { currentUser: (req) => sessions.userOf(req), loginUrl: (to) => `/login?return_to=${encodeURIComponent(to)}` },
 *   signingKeys: [{ jwk: JSON.parse(process.env.OAUTH_SIGNING_KEY!) }],
 *   routes: { tokenDecorators: [RateLimit('oauth-token')] },
 * })
 */
@Module({
  providers: [
    {
      provide: OAUTH_SERVER_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN, OAUTH_SERVER_ROUTES],
      useFactory: (raw: OAuthServerOptions, routes: ResolvedRoutes) => {
        const options = resolveOAuthServerOptions(raw);
        checkMetadataRoute(options, routes);
        return options;
      },
    },
    {
      provide: OAuthSigningKeys,
      inject: [OAUTH_SERVER_OPTIONS, RAMPART_STORE],
      useFactory: (options: ResolvedOAuthServerOptions, store: Store) =>
        OAuthSigningKeys.load(options.signingKeys, {
          store,
          publishLeadMs: options.keyPublishLeadSeconds * 1000,
          production: process.env.NODE_ENV === 'production',
        }),
    },
    TokenRevocationList,
    OAuthServer,
  ],
  exports: [OAuthServer, OAuthSigningKeys, OAUTH_SERVER_OPTIONS],
})
export class OAuthServerModule extends ConfigurableModuleClass implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(OAUTH_SERVER_ROUTES) private readonly routes: ResolvedRoutes,
  ) {
    super();
  }

  /** Every refusal on the form endpoints, from any layer, in the RFC 6749 §5.2 shape. */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (!adapter) return;
    const { token, revoke, introspect, par } = this.routes;
    useErrorRenderer(
      adapter.getInstance<object>(),
      [token, revoke, introspect, par].map((path) => `/${path}`),
      renderOAuthError,
    );
  }
}
