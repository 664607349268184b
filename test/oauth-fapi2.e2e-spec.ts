import { decodeJwt, importJWK, SignJWT, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { DEMO_PARTNER_PRIVATE_JWK } from '../apps/sample-api/src/oauth/demo-client-keys';
import { dpopKey, dpopProof } from './utils/dpop';
import { authorize, authorizeQuery, basic, pkce, type Pkce } from './utils/oauth';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

const ISSUER = 'http://localhost:3000';
const TOKEN_URL = `${ISSUER}/oauth/token`;
const FAPI = { id: 'demo-fapi', redirectUri: 'https://fapi.example.test/callback' } as const;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let clientKey: CryptoKey;

function clientAssertion(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: FAPI.id, sub: FAPI.id, aud: ISSUER, jti: randomUUID(), iat: now, exp: now + 60 })
    .setProtectedHeader({ alg: 'ES256', kid: DEMO_PARTNER_PRIVATE_JWK.kid })
    .sign(clientKey);
}

function suite(platform: (typeof PLATFORMS)[number], overrides: TestConfig): void {
  let t: TestApp;
  beforeAll(async () => {
    clientKey = (await importJWK(DEMO_PARTNER_PRIVATE_JWK, 'ES256')) as CryptoKey;
    t = await startApp(platform, {
      rateLimit: { perIpPerMinute: 0 },
      oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000, profile: 'fapi2' },
      ...overrides,
    });
  });
  afterAll(async () => {
    await t.close();
  });

  async function token(form: Record<string, string>, proof?: string, authorization?: string) {
    const req = request(t.server).post('/oauth/token').type('form');
    if (proof !== undefined) req.set('DPoP', proof);
    if (authorization !== undefined) req.set('Authorization', authorization);
    return req.send(form);
  }

  /** Pushes an authorization request of the FAPI client (RFC 9126), authenticated with private_key_jwt. */
  async function push(codes: Pkce, overrides: Record<string, string | undefined> = {}) {
    const form = new URLSearchParams(authorizeQuery(codes.challenge, overrides, FAPI));
    form.set('client_assertion_type', JWT_BEARER);
    form.set('client_assertion', await clientAssertion());
    return request(t.server).post('/oauth/par').type('form').send(form.toString());
  }

  async function codeForm(): Promise<Record<string, string>> {
    const codes = pkce();
    const pushed = await push(codes);
    expect(pushed.status).toBe(201);
    // The front channel carries only the client id and the request_uri (RFC 9126 §4).
    const onlyRequestUri = Object.fromEntries(
      ['response_type', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'scope', 'state'].map((name) => [
        name,
        undefined,
      ]),
    );
    const { code, location } = await authorize(
      t.server,
      { ...onlyRequestUri, request_uri: pushed.body.request_uri as string },
      { client: FAPI, pkce: codes },
    );
    expect(location.searchParams.get('iss')).toBe(ISSUER);
    return {
      grant_type: 'authorization_code',
      code: code ?? '',
      code_verifier: codes.verifier,
      redirect_uri: FAPI.redirectUri,
      client_assertion_type: JWT_BEARER,
      client_assertion: await clientAssertion(),
    };
  }

  it('[sender-constrained tokens] refuses a token request without a DPoP proof, binds the tokens with one', async () => {
    const form = await codeForm();
    const bare = await token(form);
    expect(bare.status).toBe(400);
    expect(bare.body.error).toBe('invalid_dpop_proof');
    const key = await dpopKey();
    const res = await token(
      { ...form, client_assertion: await clientAssertion() },
      await dpopProof(key, 'POST', TOKEN_URL),
    );
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    expect(decodeJwt(res.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
    // [refresh] not rotated (the sample's FAPI client sets refreshTokenRotation: false), still
    // sender-constrained: the same refresh token works again, and only with the client's assertion.
    const refresh = async (proofKey = key) =>
      token(
        {
          grant_type: 'refresh_token',
          refresh_token: res.body.refresh_token as string,
          client_assertion_type: JWT_BEARER,
          client_assertion: await clientAssertion(),
        },
        await dpopProof(proofKey, 'POST', TOKEN_URL),
      );
    const refreshed = await refresh();
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.token_type).toBe('DPoP');
    expect(refreshed.body.refresh_token).toBeUndefined();
    const again = await refresh();
    expect(again.status).toBe(200);
    // Each access token is bound to its own request's proof key (RFC 9449 §5).
    const other = await dpopKey();
    const rebound = await refresh(other);
    expect(rebound.status).toBe(200);
    expect(decodeJwt(rebound.body.access_token as string).cnf).toEqual({ jkt: other.jkt });
    const forged = await token(
      {
        grant_type: 'refresh_token',
        refresh_token: `${(res.body.refresh_token as string).split('.')[0] ?? ''}.${'A'.repeat(43)}`,
        client_assertion_type: JWT_BEARER,
        client_assertion: await clientAssertion(),
      },
      await dpopProof(key, 'POST', TOKEN_URL),
    );
    expect(forged.body.error).toBe('invalid_grant');
    expect((await refresh()).status).toBe(200);
    // Revocation still ends it (RFC 7009): the one refresh token is the grant.
    const revoked = await request(t.server)
      .post('/oauth/revoke')
      .type('form')
      .send({
        token: res.body.refresh_token as string,
        client_assertion_type: JWT_BEARER,
        client_assertion: await clientAssertion(),
      });
    expect(revoked.status).toBe(200);
    expect((await refresh()).body.error).toBe('invalid_grant');
  });

  it('[private_key_jwt only] advertises private_key_jwt alone and refuses every other client authentication', async () => {
    const metadata = (await request(t.server).get('/.well-known/oauth-authorization-server')).body;
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(['private_key_jwt']);
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA', 'PS256']);
    expect(metadata.token_endpoint_auth_signing_alg_values_supported).toEqual(['ES256', 'PS256', 'EdDSA']);
    const form = await codeForm();
    const withoutAssertion = { ...form, client_assertion: '', client_assertion_type: '' };
    const proof = async () => dpopProof(await dpopKey(), 'POST', TOKEN_URL);
    expect((await token({ ...withoutAssertion, client_id: FAPI.id }, await proof())).body.error).toBe('invalid_client');
    expect((await token(withoutAssertion, await proof(), basic(FAPI.id, 'x'.repeat(40)))).body.error).toBe(
      'invalid_client',
    );
    // The public and secret-holding demo clients do not exist in this profile.
    const spa = await request(t.server).get(`/oauth/authorize?${authorizeQuery(pkce().challenge)}`);
    expect(spa.status).toBe(400);
    expect(spa.headers.location).toBeUndefined();
  });

  it('[PAR required] refuses a front-channel authorization request that was not pushed, and says so in the metadata', async () => {
    const metadata = (await request(t.server).get('/.well-known/oauth-authorization-server')).body;
    expect(metadata.require_pushed_authorization_requests).toBe(true);
    const res = await request(t.server).get(`/oauth/authorize?${authorizeQuery(pkce().challenge, {}, FAPI)}`);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location as string);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
    // The same request pushed by the authenticated client is accepted.
    expect((await push(pkce())).status).toBe(201);
  });

  it('[PKCE S256] refuses a pushed request without PKCE or with plain', async () => {
    for (const overrides of [{ code_challenge: undefined }, { code_challenge_method: 'plain' }]) {
      const res = await push(pkce(), overrides);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.request_uri).toBeUndefined();
    }
  });

  it('[no open redirector] answers an unregistered redirect_uri to the user agent, never redirecting', async () => {
    for (const redirectUri of [
      'https://fapi.example.test/callback/../evil',
      'https://fapi.example.test/callback?x=1',
      'https://evil.example/callback',
      'http://fapi.example.test/callback',
    ]) {
      const res = await request(t.server).get(
        `/oauth/authorize?${authorizeQuery(pkce().challenge, { redirect_uri: redirectUri }, FAPI)}`,
      );
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
      const pushed = await push(pkce(), { redirect_uri: redirectUri });
      expect(pushed.status).toBe(400);
      expect(pushed.body.error).toBe('invalid_request');
    }
  });

  it('[no implicit / none] refuses response_type token and id_token', async () => {
    for (const responseType of ['token', 'id_token', 'code token']) {
      const res = await push(pkce(), { response_type: responseType });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('unsupported_response_type');
    }
  });
}

describe.each(PLATFORMS)('FAPI 2.0 profile on %s (memory store)', (platform) => {
  suite(platform, {});
});

describeWithRedis('FAPI 2.0 profile with Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    suite(platform, { redisUrl });
  });
});
