import { Module, type DynamicModule } from '@nestjs/common';
import type { AuthModuleOptions } from '@rampart/auth';
import type { RampartAsyncPart } from '@rampart/nest';
import { OAuthServer, OAuthSigningKeys } from '@rampart/oauth-server';
import type { AppConfig } from '../app.config';
import { UsersModule } from '../users/users.module';
import { UsersService } from '../users/users.service';
import { defineAbilities } from './abilities';
import { DevTokenIssuer } from './dev-token-issuer';

/** The development issuer, or null when tokens come from a real issuer (`JWKS_URL`). */
@Module({})
class DevIssuerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DevIssuerModule,
      providers: [
        {
          provide: DevTokenIssuer,
          useFactory: () => (config.jwksUrl ? null : DevTokenIssuer.create(config.jwtIssuer, config.jwtAudience)),
        },
      ],
      exports: [DevTokenIssuer],
    };
  }
}

/**
 * The scopes this API's routes declare with `@Scopes()`: the only ones an API key may carry. A
 * key with `*` or `admin` would otherwise be stored as a string and mean whatever a future route,
 * or a partner's misreading, makes of it. (Left out, the library derives the same list from the
 * routes; written down, adding a scope to a route does not silently widen what keys may hold.)
 */
export const API_KEY_SCOPES = ['partner:read', 'notes:read', 'notes:write', 'profile'];

function authOptions(
  config: AppConfig,
  dev: DevTokenIssuer | null,
  users: UsersService,
  oauthKeys: OAuthSigningKeys,
  oauth: OAuthServer,
): AuthModuleOptions {
  return {
    jwt: {
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      // The sample's own OAuth server (OAuthServerModule, global) signs with `oauthKeys`.
      ...(dev ? { keys: [dev.publicJwk, ...oauthKeys.publicKeys()] } : { jwksUrl: config.jwksUrl }),
      // One switch with the token endpoint's: DPoP proofs carry a server nonce here too (RFC 9449 §9).
      dpop: { requireNonce: config.oauth.dpopRequireNonce },
    },
    apiKeys: { scopes: API_KEY_SCOPES },
    roleHierarchy: { admin: ['user'] },
    userStatus: users.status,
    // Client-credentials tokens (`sub` client:<id>) are checked against the OAuth client registry.
    clientStatus: oauth.clientStatus,
    abilities: defineAbilities,
    inventory: { requireExplicitDecision: config.requireExplicitAuth },
  };
}

/**
 * AuthModule's options as the sample API uses them: demo users, CASL abilities, a dev key or a
 * real JWKS (the `auth` part of RampartModule.forRoot).
 */
export function sampleAuthOptions(config: AppConfig): RampartAsyncPart<AuthModuleOptions> {
  return {
    imports: [DevIssuerModule.forRoot(config), UsersModule],
    inject: [DevTokenIssuer, UsersService, OAuthSigningKeys, OAuthServer],
    useFactory: (dev: DevTokenIssuer | null, users: UsersService, oauthKeys: OAuthSigningKeys, oauth: OAuthServer) =>
      authOptions(config, dev, users, oauthKeys, oauth),
  };
}
