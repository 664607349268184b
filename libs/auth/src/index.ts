export { AuthModule } from './auth.module';
export { RAMPART_AUTH_OPTIONS, API_KEY_STORAGE } from './auth.constants';
export type {
  AuthModuleOptions,
  AuthMode,
  JwtOptions,
  ApiKeyOptions,
  RouteInventoryOptions,
  VerificationKey,
  ResolvedAuthOptions,
} from './auth.options';
export { Public } from './decorators/public.decorator';
export { Auth } from './decorators/auth.decorator';
export { Scopes } from './decorators/scopes.decorator';
export type { ScopeRequirement } from './decorators/scopes.decorator';
export { Roles } from './decorators/roles.decorator';
export { CurrentUser, CurrentApiKey } from './decorators/current.decorator';
export { AuthenticationGuard, JWT_VERIFIER } from './guards/authentication.guard';
export { AuthorizationGuard } from './guards/authorization.guard';
export type { AuthenticatedUser, AuthenticatedApiKey, AuthenticatedRequest, Principal } from './principal';
export type { UserStatusProvider, UserAccount, AccountStatus } from './user-status';
export { ACCESS_TOKEN_TYP } from './tokens/access-token';
export type { AccessTokenClaims, VerifiedAccessToken } from './tokens/access-token';
export { JwtVerifier, TokenVerificationError } from './tokens/jwt-verifier';
export type { TokenFailureReason } from './tokens/jwt-verifier';
export { toPublicJwk } from './tokens/key-set';
export { TokenRevocationList, revokedJtiKey } from './tokens/token-revocation';
export { ApiKeyService } from './api-keys/api-key.service';
export type { ApiKeyView, IssuedApiKey, CreateApiKeyInput } from './api-keys/api-key.service';
export { hashApiKey } from './api-keys/api-key.format';
export type { ApiKeyStorage, ApiKeyRecord, ApiKeySecrets } from './api-keys/storage/api-key.storage';
export { MemoryApiKeyStorage } from './api-keys/storage/memory-api-key.storage';
export { RedisApiKeyStorage } from './api-keys/storage/redis-api-key.storage';
export { Policies } from './policies/policies.service';
export { SerializeAs } from './policies/serialize-as.decorator';
export { RouteInventory } from './inventory/route-inventory';
export type { RouteProtection } from './inventory/route-inventory';
// OAuth 2.1 authorization server
export { OAuthServerModule } from './oauth/oauth-server.module';
export { OAuthServer } from './oauth/oauth-server.service';
export type { TokenResponse, OAuthRequestContext, AuthorizeOutcome } from './oauth/oauth-server.service';
export type { OAuthServerOptions, OAuthServerRoutes, OAuthEndpoint } from './oauth/oauth.options';
export { OAUTH_SERVER_OPTIONS } from './oauth/oauth.constants';
export { OAuthError } from './oauth/oauth.errors';
export { OAUTH_PROTOCOL_PARAMETERS } from './oauth/protocol-parameters';
export type { OAuthErrorCode } from './oauth/oauth.errors';
export type { OAuthInteraction, OAuthUser, ConsentRequest } from './oauth/oauth-interaction';
export { OAuthSigningKeys, SIGNING_ALGORITHMS } from './oauth/keys/signing-keys';
export type { SigningKeyInput, SigningAlgorithm } from './oauth/keys/signing-keys';
export { MemoryClientRegistry, RedisClientRegistry } from './oauth/clients/client-registry';
export type { OAuthClientRegistry } from './oauth/clients/client-registry';
export { hashClientSecret, generateClientSecret, toOAuthClient } from './oauth/clients/oauth-client';
export type { OAuthClient, OAuthClientRegistration, OAuthGrantType } from './oauth/clients/oauth-client';
