import { generateKeyPair, importJWK, SignJWT, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { DEMO_PARTNER_PRIVATE_JWK } from '../apps/sample-api/src/oauth/demo-client-keys';
import { basic, expectOAuthError } from './utils/oauth';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

const ISSUER = 'http://localhost:3000';
const TOKEN_URL = `${ISSUER}/oauth/token`;
const PARTNER = 'demo-partner';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let partnerKey: CryptoKey;

/** A client assertion of the demo partner (RFC 7523 §3); `claims` override the standard ones. */
function assertion(claims: Record<string, unknown> = {}, key: CryptoKey = partnerKey, alg = 'ES256'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: PARTNER, sub: PARTNER, aud: ISSUER, jti: randomUUID(), iat: now, exp: now + 60, ...claims })
    .setProtectedHeader({ alg, kid: DEMO_PARTNER_PRIVATE_JWK.kid })
    .sign(key);
}

function config(overrides: TestConfig = {}): TestConfig {
  return {
    rateLimit: { perIpPerMinute: 0 },
    oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000 },
    ...overrides,
  };
}

function suite(platform: (typeof PLATFORMS)[number], overrides: TestConfig): void {
  let t: TestApp;
  beforeAll(async () => {
    partnerKey = (await importJWK(DEMO_PARTNER_PRIVATE_JWK, 'ES256')) as CryptoKey;
    t = await startApp(platform, config(overrides));
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (path: string, form: Record<string, string>, authorization?: string): request.Test => {
    const req = request(t.server).post(path).type('form');
    if (authorization !== undefined) req.set('Authorization', authorization);
    return req.send(form);
  };
  const withAssertion = (jwt: string, extra: Record<string, string> = {}) => ({
    client_assertion_type: JWT_BEARER,
    client_assertion: jwt,
    ...extra,
  });
  const machineToken = async (jwt: string) =>
    post('/oauth/token', withAssertion(jwt, { grant_type: 'client_credentials', scope: 'notes:read' }));

  it('advertises private_key_jwt and its algorithms in the metadata', async () => {
    const res = await request(t.server).get('/.well-known/oauth-authorization-server');
    expect(res.body.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(res.body.token_endpoint_auth_signing_alg_values_supported).toEqual(['ES256', 'PS256', 'EdDSA', 'RS256']);
    expect(res.body.introspection_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(res.body.revocation_endpoint_auth_methods_supported).toContain('private_key_jwt');
  });

  it('authenticates a client by an assertion for the issuer or the token endpoint', async () => {
    const byIssuer = await machineToken(await assertion());
    expect(byIssuer.status).toBe(200);
    expect(byIssuer.body.token_type).toBe('Bearer');
    expect((await machineToken(await assertion({ aud: TOKEN_URL }))).status).toBe(200);
    expect((await machineToken(await assertion({ aud: [TOKEN_URL, 'https://other.example'] }))).status).toBe(200);
  });

  it('refuses a replayed assertion', async () => {
    const jwt = await assertion();
    expect((await machineToken(jwt)).status).toBe(200);
    expectOAuthError(await machineToken(jwt), 401, 'invalid_client');
  });

  it('refuses assertions of another key, audience, issuer or lifetime, without jti, or with a symmetric alg', async () => {
    const now = Math.floor(Date.now() / 1000);
    const other = (await generateKeyPair('ES256')).privateKey;
    const refused = [
      await assertion({}, other),
      await assertion({ aud: 'https://other-server.example' }),
      await assertion({ iss: 'demo-backend' }),
      await assertion({ sub: 'demo-backend', iss: 'demo-backend' }),
      await assertion({ exp: now - 60, iat: now - 120 }),
      await assertion({ exp: now + 3600 }),
      await assertion({ jti: undefined }),
      await assertion({ exp: undefined }),
      await new SignJWT({ iss: PARTNER, sub: PARTNER, aud: ISSUER, jti: randomUUID(), exp: now + 60 })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode('a-guessed-shared-secret-0123456789')),
      'not-a-jwt',
    ];
    for (const jwt of refused) expectOAuthError(await machineToken(jwt), 401, 'invalid_client');
    // A wrong assertion type.
    expectOAuthError(
      await post('/oauth/token', {
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
        client_assertion: await assertion(),
        grant_type: 'client_credentials',
      }),
      401,
      'invalid_client',
    );
  });

  it('refuses two methods at once, a mismatched client_id, and a secret for a private_key_jwt client', async () => {
    const form = withAssertion(await assertion(), { grant_type: 'client_credentials' });
    expectOAuthError(await post('/oauth/token', form, basic(PARTNER, 'x'.repeat(40))), 400, 'invalid_request');
    expectOAuthError(
      await post('/oauth/token', {
        ...withAssertion(await assertion()),
        grant_type: 'client_credentials',
        client_id: 'demo-backend',
      }),
      400,
      'invalid_request',
    );
    expectOAuthError(
      await post('/oauth/token', { grant_type: 'client_credentials' }, basic(PARTNER, 'x'.repeat(40))),
      401,
      'invalid_client',
    );
    expectOAuthError(
      await post('/oauth/token', { grant_type: 'client_credentials', client_id: PARTNER }),
      401,
      'invalid_client',
    );
  });

  it('authenticates at the introspection and revocation endpoints too', async () => {
    const token = (await machineToken(await assertion())).body.access_token as string;
    const active = await post(
      '/oauth/introspect',
      withAssertion(await assertion({ aud: `${ISSUER}/oauth/introspect` }), { token }),
    );
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ active: true, client_id: PARTNER });
    const revoked = await post('/oauth/revoke', withAssertion(await assertion(), { token }));
    expect(revoked.status).toBe(200);
    const inactive = await post('/oauth/introspect', withAssertion(await assertion(), { token }));
    expect(inactive.body).toEqual({ active: false });
    expectOAuthError(
      await post(
        '/oauth/introspect',
        withAssertion(await assertion({}, (await generateKeyPair('ES256')).privateKey), { token }),
      ),
      401,
      'invalid_client',
    );
  });
}

describe.each(PLATFORMS)('private_key_jwt on %s (memory store)', (platform) => {
  suite(platform, {});
});

describeWithRedis('private_key_jwt with Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    suite(platform, { redisUrl });
  });
});
