import { Logger } from '@nestjs/common';
import { errors, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey, type ProtectedHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import { hash } from 'node:crypto';
import type { ResolvedJwtOptions } from '../auth.options';
import { ACCESS_TOKEN_TYP, parseScope, type AccessTokenClaims, type VerifiedAccessToken } from './access-token';

/** Why a token was refused: the `reason` of the security event, never sent to the client. */
export type TokenFailureReason =
  | 'token_too_large'
  | 'token_malformed'
  | 'header_not_allowed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'signature_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'claim_invalid'
  | 'wrong_type'
  | 'keys_unavailable';

export class TokenVerificationError extends Error {
  constructor(
    readonly reason: TokenFailureReason,
    /** Which check or claim failed, for the server's log only: clients get one uniform answer. */
    readonly detail?: string,
  ) {
    super(detail === undefined ? reason : `${reason}: ${detail}`);
    this.name = 'TokenVerificationError';
  }
}

/** Compact JWS: three base64url parts, the signature non-empty (an unsecured `alg: none` JWT has none). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** A `kid` is a lookup key in the JWKS, never a path or URL: anything else is refused. */
const SAFE_KID = /^[A-Za-z0-9._-]{1,128}$/;
/** Headers that would tell a naive verifier where to fetch (or find) the key: the attacker's own. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;
const REQUIRED_CLAIMS = ['sub', 'exp', 'iat', 'jti', 'scope'];
const MAX_CLAIM_LENGTH = 256;

function reasonOf(error: unknown): TokenFailureReason {
  if (error instanceof errors.JWTExpired) return 'token_expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'typ') return 'wrong_type';
    if (error.claim === 'nbf' && error.reason === 'check_failed') return 'token_not_yet_valid';
    return 'claim_invalid';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm_not_allowed';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return 'unknown_key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature_invalid';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return 'keys_unavailable';
  // A bare JOSEError (a JWKS answered other than 200) or a network error: the keys could not be read.
  if (!(error instanceof errors.JOSEError) || error.constructor === errors.JOSEError) return 'keys_unavailable';
  return 'token_malformed';
}

/** jose's account of a refusal: the claim and check for claim failures, its message otherwise. */
function detailOf(error: unknown): string | undefined {
  if (error instanceof errors.JWTClaimValidationFailed) return `claim "${error.claim}" ${error.reason}`;
  return error instanceof Error ? error.message : undefined;
}

/**
 * Verifies RFC 9068 access tokens with jose against an explicit algorithm allowlist, and
 * remembers verified ones (keyed by SHA-256 of the token, bounded) until they expire.
 */
export class JwtVerifier {
  private readonly logger = new Logger('RampartJwtVerifier');
  private readonly cache: LRUCache<string, VerifiedAccessToken> | undefined;

  constructor(
    private readonly options: ResolvedJwtOptions,
    private readonly keys: JWTVerifyGetKey,
  ) {
    this.cache = options.cache ? new LRUCache({ max: options.cache.maxEntries, ttlAutopurge: false }) : undefined;
  }

  /** Verifies a token; a refusal is logged at debug level with the check or claim that failed. */
  async verify(token: string): Promise<VerifiedAccessToken> {
    try {
      return await this.verifyToken(token);
    } catch (error) {
      if (error instanceof TokenVerificationError) this.logger.debug(`Access token refused: ${error.message}`);
      throw error;
    }
  }

  private async verifyToken(token: string): Promise<VerifiedAccessToken> {
    // Bounded first: nothing below (regex, base64, JSON, a cache hash) runs on a huge input.
    if (token.length > this.options.maxTokenBytes) throw new TokenVerificationError('token_too_large');
    if (!COMPACT_JWS.test(token)) throw new TokenVerificationError('token_malformed');
    // crypto.hash: one call, no Hash object per request (this runs on every authenticated request).
    const cacheKey = this.cache ? hash('sha256', token, 'base64url') : '';
    const cached = this.cache?.get(cacheKey);
    // The entry's TTL ends at `exp`; the check guards a clock jump backwards in the LRU's timer.
    if (cached && cached.claims.exp * 1000 > Date.now()) return cached;

    this.checkHeader(token);
    let claims: AccessTokenClaims;
    try {
      const result = await jwtVerify<AccessTokenClaims>(token, this.keys, {
        algorithms: [...this.options.algorithms],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds,
        typ: ACCESS_TOKEN_TYP,
        requiredClaims: this.options.requireClientId ? [...REQUIRED_CLAIMS, 'client_id'] : REQUIRED_CLAIMS,
      });
      claims = result.payload;
    } catch (error) {
      throw new TokenVerificationError(reasonOf(error), detailOf(error));
    }
    const verified = this.checkClaims(claims);
    if (this.cache) {
      const untilExpiry = claims.exp * 1000 - Date.now();
      const ttl = Math.min(untilExpiry, this.options.cache ? this.options.cache.maxTtlMs : 0);
      if (ttl > 0) this.cache.set(cacheKey, verified, { ttl });
    }
    return verified;
  }

  private checkHeader(token: string): void {
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenVerificationError('token_malformed');
    }
    // jose ignores these, but a token that carries them was not made by our issuer.
    if (FORBIDDEN_HEADERS.some((name) => name in header)) throw new TokenVerificationError('header_not_allowed');
    if (header.kid !== undefined && (typeof header.kid !== 'string' || !SAFE_KID.test(header.kid))) {
      throw new TokenVerificationError('unknown_key');
    }
    if (typeof header.alg !== 'string' || !this.options.algorithms.includes(header.alg)) {
      throw new TokenVerificationError('algorithm_not_allowed');
    }
  }

  /** What jose leaves to the application: claim types and sizes, `iat` not in the future. */
  private checkClaims(claims: AccessTokenClaims): VerifiedAccessToken {
    const scopes = parseScope(claims.scope);
    const now = Math.floor(Date.now() / 1000);
    const shortString = (value: unknown): boolean =>
      typeof value === 'string' && value.length > 0 && value.length <= MAX_CLAIM_LENGTH;
    const invalid = (claim: string, why: string) =>
      new TokenVerificationError('claim_invalid', `claim "${claim}" ${why}`);
    const notShort = `is not a string of 1 to ${MAX_CLAIM_LENGTH} characters`;
    if (!scopes) throw invalid('scope', 'is not a space-separated scope list');
    if (!shortString(claims.sub)) throw invalid('sub', notShort);
    if (!shortString(claims.jti)) throw invalid('jti', notShort);
    if (claims.iat > now + this.options.clockToleranceSeconds) throw invalid('iat', 'is in the future');
    if (claims.client_id !== undefined && !shortString(claims.client_id)) throw invalid('client_id', notShort);
    if (claims.tenant_id !== undefined && !shortString(claims.tenant_id)) throw invalid('tenant_id', notShort);
    const roles = claims.roles ?? [];
    if (!Array.isArray(roles) || roles.length > 32 || !roles.every(shortString)) {
      throw invalid('roles', 'is not a list of at most 32 short strings');
    }
    return Object.freeze({
      claims: Object.freeze({ ...claims }),
      scopes: Object.freeze(scopes),
      roles: Object.freeze([...roles]),
      tenantId: claims.tenant_id,
    });
  }
}
