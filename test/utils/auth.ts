import type { INestApplication } from '@nestjs/common';
import { createTestTokens, type TestTokens } from '@rampart/testing';
import { DevTokenIssuer, type DevTokenRequest } from '../../apps/sample-api/src/auth/dev-token-issuer';

/** The sample app's development issuer: tests sign real JWTs with the app's own key. */
export function issuerOf(app: INestApplication): DevTokenIssuer {
  const issuer = app.get<typeof DevTokenIssuer, DevTokenIssuer | null>(DevTokenIssuer, { strict: false });
  if (!issuer) throw new Error('This app verifies tokens from a JWKS URL: sign with your own key instead.');
  return issuer;
}

/** Scopes the demo users' tokens carry unless a test says otherwise. */
export const ALL_USER_SCOPES = 'notes:read notes:write profile';

const kits = new WeakMap<INestApplication, Promise<TestTokens>>();

/**
 * The test kit (`@rampart/testing`) on the sample's development key: valid tokens for the demo
 * users, and the forged ones attack tests need.
 */
export function testTokensOf(app: INestApplication): Promise<TestTokens> {
  let kit = kits.get(app);
  if (!kit) {
    const dev = issuerOf(app);
    kit = createTestTokens({
      issuer: dev.issuer,
      audience: dev.audience,
      defaultScope: ALL_USER_SCOPES,
      key: { privateKey: dev.privateKey, kid: dev.kid, publicJwk: dev.publicJwk },
    });
    kits.set(app, kit);
  }
  return kit;
}

/** A valid access token for a demo user (`u-alice`, `u-bob`, `u-admin`, `u-carol`, `u-gina`). */
export async function tokenFor(
  app: INestApplication,
  sub: string,
  request: Partial<Omit<DevTokenRequest, 'sub'>> = {},
): Promise<string> {
  return (await testTokensOf(app)).user(sub, request);
}

/** `{ Authorization: 'Bearer …' }` for supertest's `.set()`. */
export async function bearer(
  app: INestApplication,
  sub = 'u-alice',
  request: Partial<Omit<DevTokenRequest, 'sub'>> = {},
): Promise<Record<string, string>> {
  return (await testTokensOf(app)).bearer(sub, request);
}
