import type { INestApplication } from '@nestjs/common';
import { SignJWT, type CryptoKey, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { randomUUID } from 'node:crypto';
import { DevTokenIssuer, type DevTokenRequest } from '../../apps/sample-api/src/auth/dev-token-issuer';

/** The sample app's development issuer: tests sign real JWTs with the app's own key. */
export function issuerOf(app: INestApplication): DevTokenIssuer {
  const issuer = app.get<typeof DevTokenIssuer, DevTokenIssuer | null>(DevTokenIssuer, { strict: false });
  if (!issuer) throw new Error('This app verifies tokens from a JWKS URL: sign with your own key instead.');
  return issuer;
}

/** Scopes the demo users' tokens carry unless a test says otherwise. */
export const ALL_USER_SCOPES = 'notes:read notes:write profile';

/** A valid access token for a demo user (`u-alice`, `u-bob`, `u-admin`, `u-carol`, `u-gina`). */
export function tokenFor(app: INestApplication, sub: string, request: Partial<DevTokenRequest> = {}): Promise<string> {
  return issuerOf(app).issue({ sub, scope: ALL_USER_SCOPES, ...request });
}

/** `{ Authorization: 'Bearer …' }` for supertest's `.set()`. */
export async function bearer(
  app: INestApplication,
  sub = 'u-alice',
  request: Partial<DevTokenRequest> = {},
): Promise<Record<string, string>> {
  return { Authorization: `Bearer ${await tokenFor(app, sub, request)}` };
}

/** The claims a valid token of the app carries, to be altered one at a time by attack tests. */
export function validClaims(issuer: DevTokenIssuer, sub = 'u-alice'): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer.issuer,
    aud: issuer.audience,
    sub,
    scope: ALL_USER_SCOPES,
    jti: randomUUID(),
    iat: now,
    exp: now + 600,
    client_id: 'test',
  };
}

/** Signs any claims and header with `key` (default: the app's key): for tokens that must be refused. */
export function sign(
  issuer: DevTokenIssuer,
  claims: JWTPayload,
  header: Partial<JWTHeaderParameters> = {},
  key: CryptoKey | Uint8Array = issuer.privateKey,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: issuer.kid, ...header }).sign(key);
}
