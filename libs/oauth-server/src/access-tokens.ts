import { ACCESS_TOKEN_TYP, type AccessTokenClaims } from '@rampart/auth';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { OAuthSigningKeys } from './keys/signing-keys';
import type { ResolvedOAuthServerOptions } from './oauth.options';
import type { OAuthUser } from './oauth-interaction';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A signed access token and what its grant records of it (`jti`, `exp`) for revocation. */
export interface SignedAccessToken {
  readonly token: string;
  readonly jti: string;
  readonly exp: number;
}

/** The access tokens this server signs, and the check that a presented token is one of them. */
export class OAuthAccessTokens {
  private readonly verifyKeys: ReturnType<typeof createLocalJWKSet>;

  constructor(
    private readonly options: ResolvedOAuthServerOptions,
    private readonly keys: OAuthSigningKeys,
  ) {
    this.verifyKeys = createLocalJWKSet(keys.jwks());
  }

  /** An RFC 9068 access token, signed with the current key. */
  async sign(
    subject: string,
    clientId: string,
    scopes: readonly string[],
    audience: readonly string[],
    user: OAuthUser | undefined,
    authTime: number | undefined,
    /** The DPoP key the token is bound to (RFC 9449 §6: `cnf.jkt`). */
    jkt?: string,
  ): Promise<SignedAccessToken> {
    const key = this.keys.current();
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + this.options.accessTokenTtlSeconds;
    const jti = randomUUID();
    const claims: Partial<AccessTokenClaims> = {
      client_id: clientId,
      scope: scopes.join(' '),
      ...(user?.roles ? { roles: [...user.roles] } : {}),
      ...(user?.tenantId === undefined ? {} : { tenant_id: user.tenantId }),
      ...(authTime === undefined ? {} : { auth_time: authTime }),
      ...(jkt === undefined ? {} : { cnf: { jkt } }),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYP })
      .setIssuer(this.options.issuer)
      .setSubject(subject)
      .setAudience(audience.length === 1 ? (audience[0] as string) : [...audience])
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key.privateKey);
    return { token, jti, exp };
  }

  /** Claims of an unexpired access token this server signed, or undefined. */
  async verifyOwn(token: string): Promise<AccessTokenClaims | undefined> {
    if (token.length > 8192 || !COMPACT_JWS.test(token)) return undefined;
    try {
      const { payload } = await jwtVerify<AccessTokenClaims>(token, this.verifyKeys, {
        algorithms: this.keys.algorithms(),
        issuer: this.options.issuer,
        typ: ACCESS_TOKEN_TYP,
        requiredClaims: ['jti', 'exp', 'sub', 'client_id'],
      });
      return payload;
    } catch {
      return undefined;
    }
  }
}
