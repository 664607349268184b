export { AuthModule } from './auth.module';
export { RAMPART_AUTH_OPTIONS, API_KEY_STORAGE, IS_PUBLIC_KEY, AUTH_MODE_KEY, SCOPES_KEY } from './auth.constants';
export type {
  AuthModuleOptions,
  AuthMode,
  JwtOptions,
  ApiKeyOptions,
  RouteInventoryOptions,
  VerificationKey,
  DpopOptions,
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
export type {
  UserStatusProvider,
  UserAccount,
  AccountStatus,
  ClientStatusProvider,
  ClientAccount,
} from './user-status';
export { ACCESS_TOKEN_TYP, parseScope, clientSubject, principalKindOf } from './tokens/access-token';
export type { AccessTokenClaims, VerifiedAccessToken, PrincipalKind } from './tokens/access-token';
export { JwtVerifier, TokenVerificationError } from './tokens/jwt-verifier';
export {
  DpopProofVerifier,
  DpopProofError,
  DPOP_ALGORITHMS,
  DPOP_ALLOWED_ALGORITHMS,
  accessTokenHash,
} from './tokens/dpop-proof';
export type {
  VerifiedDpopProof,
  DpopProofExpectation,
  DpopFailureReason,
  DpopVerifierOptions,
} from './tokens/dpop-proof';
export { DpopNonces } from './tokens/dpop-nonces';
export type { TokenFailureReason } from './tokens/jwt-verifier';
export { toPublicJwk } from './tokens/key-set';
export { TokenRevocationList, revokedJtiKey, TOKEN_REVOCATION_CHANNEL } from './tokens/token-revocation';
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
