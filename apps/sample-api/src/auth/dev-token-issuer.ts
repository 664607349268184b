import { Logger } from '@nestjs/common';
import type { AccessTokenClaims } from '@rampart/auth';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';

export interface DevTokenRequest {
  sub: string;
  scope: string;
  roles?: string[];
  tenantId?: string;
  clientId?: string;
  expiresInSeconds?: number;
}

/**
 * DEVELOPMENT ONLY. Signs access tokens with an ES256 key generated at start, so the sample API
 * can be tried (and tested with real signed JWTs) before an authorization server exists. Refused
 * when NODE_ENV=production: a production API verifies tokens of a real issuer (`JWKS_URL`).
 */
export class DevTokenIssuer {
  private constructor(
    readonly issuer: string,
    readonly audience: string,
    readonly kid: string,
    readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
  ) {}

  static async create(issuer: string, audience: string): Promise<DevTokenIssuer> {
    if (process.env.NODE_ENV === 'production') {
      throw new Error('The development token issuer cannot run with NODE_ENV=production: set JWKS_URL.');
    }
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `dev-${randomUUID()}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    new Logger('DevTokenIssuer').warn(
      '!!! DEVELOPMENT ONLY: access tokens are verified against a key generated at start (no JWKS_URL set). ' +
        'Never run this configuration in production. !!!',
    );
    return new DevTokenIssuer(issuer, audience, kid, privateKey, publicJwk);
  }

  /** A signed RFC 9068 access token. */
  async issue(request: DevTokenRequest): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Partial<AccessTokenClaims> = {
      scope: request.scope,
      client_id: request.clientId ?? 'dev-client',
      ...(request.roles ? { roles: request.roles } : {}),
      ...(request.tenantId ? { tenant_id: request.tenantId } : {}),
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: this.kid })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(request.sub)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + (request.expiresInSeconds ?? 900))
      .sign(this.privateKey);
  }
}
