import { Inject, Logger, Module, Optional } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import {
  RAMPART_CORE_OPTIONS,
  RAMPART_STORE,
  RampartPart,
  RampartPipeline,
  RampartPipelineModule,
  RedisStore,
  type Store,
} from '@rampart/core';
import { ApiKeyService } from './api-keys/api-key.service';
import type { ApiKeyStorage } from './api-keys/storage/api-key.storage';
import { MemoryApiKeyStorage } from './api-keys/storage/memory-api-key.storage';
import { RedisApiKeyStorage } from './api-keys/storage/redis-api-key.storage';
import { API_KEY_STORAGE, RAMPART_AUTH_OPTIONS } from './auth.constants';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './auth.module-definition';
import { resolveAuthOptions, type AuthModuleOptions, type ResolvedAuthOptions } from './auth.options';
import { coreMissing } from './core-missing';
import { AuthenticationGuard, DPOP_NONCES, DPOP_VERIFIER, JWT_VERIFIER } from './guards/authentication.guard';
import { AuthorizationGuard } from './guards/authorization.guard';
import { RouteInventory } from './inventory/route-inventory';
import { Policies } from './policies/policies.service';
import { DpopNonces } from './tokens/dpop-nonces';
import { DpopProofVerifier } from './tokens/dpop-proof';
import { JwtVerifier } from './tokens/jwt-verifier';
import { createKeySet } from './tokens/key-set';
import { TokenRevocationList } from './tokens/token-revocation';

async function createVerifier(options: ResolvedAuthOptions): Promise<JwtVerifier | null> {
  if (!options.jwt) return null;
  return new JwtVerifier(options.jwt, await createKeySet(options.jwt));
}

function createDpopVerifier(options: ResolvedAuthOptions, store: Store | undefined): DpopProofVerifier | null {
  if (!options.jwt) return null;
  if (!store) throw coreMissing('AuthModule');
  return new DpopProofVerifier(store, {
    algorithms: options.jwt.dpop.algorithms,
    maxAgeSeconds: options.jwt.dpop.proofMaxAgeSeconds,
    clockToleranceSeconds: options.jwt.clockToleranceSeconds,
  });
}

/** The same nonces as the token endpoint's (one secret in the Store): RFC 9449 §9 at the resource server. */
function createDpopNonces(options: ResolvedAuthOptions, store: Store | undefined): DpopNonces | null {
  if (!options.jwt?.dpop.requireNonce) return null;
  if (!store) throw coreMissing('AuthModule');
  return new DpopNonces(store);
}

function createApiKeyStorage(options: ResolvedAuthOptions, store: Store | undefined): ApiKeyStorage {
  if (!store) throw coreMissing('AuthModule');
  if (options.apiKeys.storage) return options.apiKeys.storage;
  if (store instanceof RedisStore) return new RedisApiKeyStorage(store.redis, store.key('auth:'));
  new Logger('AuthModule').warn('API keys are kept in memory (this process only; lost on restart).');
  return new MemoryApiKeyStorage();
}

/**
 * The resource-server side of authentication and authorization: a global, secure-by-default
 * guard for JWT access tokens and API keys, `@Scopes()`/`@Roles()`, CASL policies, per-caller
 * response fields, and the route inventory. Needs `RampartCoreModule` (Store, security events).
 * Its guards run as the `authenticate` and `authorize` phases of Rampart's pipeline, after the
 * threat phase and the pre-authentication limits, whatever the order of the imports.
 * @publicApi
 * @example
 * AuthModule.forRoot({
 *   jwt: { issuer: 'https://auth.example.com', audience: 'https://api.example.com',
 *          jwksUrl: 'https://auth.example.com/.well-known/jwks.json' },
 *   roleHierarchy: { admin: ['user'] },
 * })
 */
/** Marks AuthModule as installed (once per application). */
const AUTH_PART = new RampartPart<true>('AuthModule');

@Module({
  imports: [DiscoveryModule, RampartPipelineModule],
  providers: [
    {
      provide: RAMPART_AUTH_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (raw: AuthModuleOptions) => resolveAuthOptions(raw),
    },
    { provide: JWT_VERIFIER, inject: [RAMPART_AUTH_OPTIONS], useFactory: createVerifier },
    {
      provide: DPOP_VERIFIER,
      inject: [RAMPART_AUTH_OPTIONS, { token: RAMPART_STORE, optional: true }],
      useFactory: createDpopVerifier,
    },
    {
      provide: DPOP_NONCES,
      inject: [RAMPART_AUTH_OPTIONS, { token: RAMPART_STORE, optional: true }],
      useFactory: createDpopNonces,
    },
    {
      provide: API_KEY_STORAGE,
      inject: [RAMPART_AUTH_OPTIONS, { token: RAMPART_STORE, optional: true }],
      useFactory: createApiKeyStorage,
    },
    TokenRevocationList,
    ApiKeyService,
    Policies,
    RouteInventory,
    AuthenticationGuard,
    AuthorizationGuard,
    {
      // The `authenticate` and `authorize` phases of Rampart's pipeline: who is calling, then what
      // they may do, after the threat phase and the pre-authentication limits.
      provide: Symbol('AUTH_PIPELINE_STEPS'),
      inject: [RampartPipeline, AuthenticationGuard, AuthorizationGuard],
      useFactory: (pipeline: RampartPipeline, authn: AuthenticationGuard, authz: AuthorizationGuard) => {
        pipeline.install(AUTH_PART, true);
        pipeline.register({ phase: 'authenticate', owner: 'AuthModule', canActivate: (c) => authn.canActivate(c) });
        pipeline.register({ phase: 'authorize', owner: 'AuthModule', canActivate: (c) => authz.canActivate(c) });
        return true;
      },
    },
  ],
  exports: [
    RAMPART_AUTH_OPTIONS,
    JWT_VERIFIER,
    API_KEY_STORAGE,
    TokenRevocationList,
    ApiKeyService,
    Policies,
    RouteInventory,
  ],
})
export class AuthModule extends ConfigurableModuleClass {
  constructor(@Optional() @Inject(RAMPART_CORE_OPTIONS) core?: unknown) {
    super();
    if (core === undefined) throw coreMissing('AuthModule');
  }
}
