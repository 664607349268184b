import { Global, Module, type DynamicModule } from '@nestjs/common';
import {
  MemoryClientRegistry,
  OAUTH_PROTOCOL_PARAMETERS,
  OAuthServerModule,
  type OAuthInteraction,
} from '@rampart/oauth-server';
import { OAuthErrors } from '@rampart/openapi';
import { RateLimit } from '@rampart/rate-limit';
import { ThreatPolicy } from '@rampart/threat';
import { RequestLimits } from '@rampart/validation';
import type { AppConfig } from '../app.config';
import { UsersModule } from '../users/users.module';
import { UsersService } from '../users/users.service';
import { DEMO_SCOPES, demoClients, fapi2DemoClients } from './demo-clients';
import { OAuthLoginController } from './oauth-login.controller';
import { SampleConsents, SampleSessions } from './sessions';

/** RFC 6749 §3.2: the token, revocation and introspection endpoints take form-encoded bodies. */
const FORM_BODY = RequestLimits({ mediaTypes: ['application/x-www-form-urlencoded'], maxBodyBytes: 16 * 1024 });

/**
 * The OAuth server validates its own protocol parameters (exact redirect URIs, allowlisted
 * resources, PKCE grammar, …): input inspection would score a loopback `redirect_uri` or the
 * `resource` URI as SSRF and refuse standard clients. Exactly those names, on exactly its routes,
 * are left to it; every other input of these routes is still inspected.
 */
const protocolParameters = (endpoint: keyof typeof OAUTH_PROTOCOL_PARAMETERS, location: 'query' | 'body') =>
  ThreatPolicy({ ignore: OAUTH_PROTOCOL_PARAMETERS[endpoint].map((name) => `${location}.${name}`) });

@Module({ providers: [SampleSessions, SampleConsents], exports: [SampleSessions, SampleConsents] })
class SessionsModule {}

/**
 * The demo clients, in a registry the admin area can disable a client in (a leaked secret or key):
 * it then fails every endpoint and its client-credentials tokens are refused at once.
 */
@Global()
@Module({})
export class SampleClientsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const clients =
      config.oauth.profile === 'fapi2'
        ? fapi2DemoClients(config.oauth.demoPartnerJwks)
        : demoClients(config.oauth.demoBackendSecret, config.oauth.demoPartnerJwks, config.oauth.demoRemoteJwksUri);
    return {
      module: SampleClientsModule,
      providers: [{ provide: MemoryClientRegistry, useFactory: () => new MemoryClientRegistry(clients) }],
      exports: [MemoryClientRegistry],
    };
  }
}

function interaction(users: UsersService, sessions: SampleSessions, consents: SampleConsents): OAuthInteraction {
  return {
    currentUser: async (req) => {
      const id = await sessions.userIdOf(req as { headers: Record<string, string | string[] | undefined> });
      const user = id === undefined ? undefined : users.find(id);
      return user?.status === 'active' ? { id: user.id, roles: [user.role], tenantId: user.tenantId } : undefined;
    },
    loginUrl: (returnTo) => `/oauth/login?return_to=${encodeURIComponent(returnTo)}`,
    consent: async (req, { user, client, scopes }) => {
      const url = (req as { url?: string; originalUrl?: string }).originalUrl ?? (req as { url?: string }).url ?? '';
      if (url.includes('&consent=denied')) return 'denied';
      return (await consents.covers(user.id, client.id, scopes)) ? 'granted' : undefined;
    },
    consentUrl: (returnTo) => `/oauth/consent?return_to=${encodeURIComponent(returnTo)}`,
  };
}

/**
 * The OAuth 2.1 server of the sample API: demo clients, the demo users' login form, tokens for
 * this API (`aud` = `jwtAudience`) signed with configured keys or, in development, a generated one.
 */
@Module({})
export class SampleOAuthModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SampleOAuthModule,
      imports: [
        SessionsModule,
        UsersModule,
        SampleClientsModule.forRoot(config),
        OAuthServerModule.forRootAsync({
          imports: [SessionsModule, UsersModule],
          inject: [UsersService, SampleSessions, SampleConsents, MemoryClientRegistry],
          useFactory: (
            users: UsersService,
            sessions: SampleSessions,
            consents: SampleConsents,
            clients: MemoryClientRegistry,
          ) => ({
            issuer: config.jwtIssuer,
            profile: config.oauth.profile,
            clients,
            scopesSupported: DEMO_SCOPES,
            interaction: interaction(users, sessions, consents),
            resources: { allowed: [config.jwtAudience], default: config.jwtAudience },
            authorizationCodeTtlSeconds: config.oauth.codeTtlSeconds,
            ...(config.oauth.refreshReuseGraceSeconds === undefined
              ? {}
              : { refreshTokenReuseGraceSeconds: config.oauth.refreshReuseGraceSeconds }),
            ...(config.oauth.requirePushedAuthorizationRequests ? { requirePushedAuthorizationRequests: true } : {}),
            ...(config.oauth.refreshIdleTtlSeconds === undefined
              ? {}
              : { refreshTokenIdleTtlSeconds: config.oauth.refreshIdleTtlSeconds }),
            dpop: { requireNonce: config.oauth.dpopRequireNonce },
            ...(config.oauth.clientJwks ? { clientJwks: config.oauth.clientJwks } : {}),
            ...(config.oauth.signingKeys ? { signingKeys: config.oauth.signingKeys } : {}),
          }),
          routes: {
            decorators: {
              token: [
                RateLimit({
                  name: 'oauth-token',
                  key: 'ip',
                  tiers: [{ name: 'token', limit: config.oauth.tokenPerMinute, window: '1m' }],
                }),
                FORM_BODY,
                protocolParameters('token', 'body'),
                OAuthErrors(),
              ],
              authorize: [protocolParameters('authorize', 'query'), OAuthErrors()],
              // Pushed authorization requests (RFC 9126): client-authenticated forms, limited as the token endpoint.
              par: [
                RateLimit({
                  name: 'oauth-par',
                  key: 'ip',
                  tiers: [{ name: 'par', limit: config.oauth.tokenPerMinute, window: '1m' }],
                }),
                FORM_BODY,
                protocolParameters('par', 'body'),
                OAuthErrors(),
              ],
              revoke: [FORM_BODY, protocolParameters('revoke', 'body'), OAuthErrors()],
              introspect: [FORM_BODY, protocolParameters('introspect', 'body'), OAuthErrors()],
            },
          },
        }),
      ],
      controllers: [OAuthLoginController],
    };
  }
}
