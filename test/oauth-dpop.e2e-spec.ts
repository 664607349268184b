import { decodeJwt, exportJWK, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { ath, dpopKey, dpopProof, type DpopKey } from './utils/dpop';
import { BACKEND, DPOP_SPA, authorize, basic, freshCodeForm, postForm, expectOAuthError } from './utils/oauth';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

const ISSUER = 'http://localhost:3000';
const TOKEN_URL = `${ISSUER}/oauth/token`;
/** The resource server computes `htu` from the request's Host: the tests name one. */
const API_HOST = 'api.test';
const NOTES_URL = `http://${API_HOST}/notes`;

function config(overrides: TestConfig = {}, oauth: Partial<ReturnType<typeof loadConfig>['oauth']> = {}): TestConfig {
  return {
    rateLimit: { perIpPerMinute: 0 },
    oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000, ...oauth },
    ...overrides,
  };
}

/** A 401 of the resource server with a DPoP challenge carrying `error` and the algorithms. */
function expectDpopChallenge(res: request.Response, error: 'invalid_dpop_proof' | 'invalid_token'): void {
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const challenge = res.headers['www-authenticate'] as string;
  expect(challenge).toMatch(new RegExp(`DPoP realm="api", error="${error}", algs="ES256[^"]*"`));
}

function suite(platform: (typeof PLATFORMS)[number], overrides: TestConfig): void {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(platform, config(overrides));
  });
  afterAll(async () => {
    await t.close();
  });

  function tokenRequest(form: Record<string, string>, proof?: string, authorization?: string): request.Test {
    const req = request(t.server).post('/oauth/token').type('form');
    if (proof !== undefined) req.set('DPoP', proof);
    if (authorization !== undefined) req.set('Authorization', authorization);
    return req.send(form);
  }

  async function codeOf(): Promise<{ code: string; verifier: string }> {
    const { code, pkce } = await authorize(t.server, {}, { client: DPOP_SPA });
    return { code: code ?? '', verifier: pkce.verifier };
  }

  function codeForm(code: string, verifier: string): Record<string, string> {
    return {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: DPOP_SPA.redirectUri,
      client_id: DPOP_SPA.id,
    };
  }

  async function dpopTokens(key: DpopKey): Promise<{ access_token: string; refresh_token: string }> {
    const { code, verifier } = await codeOf();
    const res = await tokenRequest(codeForm(code, verifier), await dpopProof(key, 'POST', TOKEN_URL));
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  }

  async function callNotes(token: string, proof: string | undefined, scheme = 'DPoP', method = 'get') {
    const req = (method === 'post' ? request(t.server).post('/notes') : request(t.server).get('/notes'))
      .set('Host', API_HOST)
      .set('Authorization', `${scheme} ${token}`);
    if (proof !== undefined) req.set('DPoP', proof);
    return req;
  }

  it('advertises the proof algorithms in the metadata', async () => {
    const res = await request(t.server).get('/.well-known/oauth-authorization-server');
    expect(res.body.dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA', 'PS256', 'RS256']);
  });

  it('binds the tokens of a DPoP client to its key (cnf.jkt, token_type DPoP)', async () => {
    const key = await dpopKey();
    const tokens = await dpopTokens(key);
    const claims = decodeJwt(tokens.access_token);
    expect(claims.cnf).toEqual({ jkt: key.jkt });
    const introspection = await postForm(
      t.server,
      '/oauth/introspect',
      { token: tokens.access_token },
      basic(BACKEND.id, BACKEND.secret),
    );
    expect(introspection.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
  });

  it('refuses a code exchange of a DPoP client without a proof, and a bad proof does not burn the code', async () => {
    const key = await dpopKey();
    const { code, verifier } = await codeOf();
    expectOAuthError(await tokenRequest(codeForm(code, verifier)), 400, 'invalid_dpop_proof');
    const bad: Array<Promise<string>> = [
      dpopProof(key, 'GET', TOKEN_URL), // another method
      dpopProof(key, 'POST', `${ISSUER}/oauth/revoke`), // another URL
      dpopProof(key, 'POST', TOKEN_URL, { iat: Math.floor(Date.now() / 1000) - 3600 }), // stale
      dpopProof(key, 'POST', TOKEN_URL, { iat: Math.floor(Date.now() / 1000) + 3600 }), // from the future
      dpopProof(key, 'POST', TOKEN_URL, {}, { typ: 'JWT' }), // not a proof
      dpopProof(key, 'POST', TOKEN_URL, { jti: undefined }), // no jti
    ];
    for (const proof of await Promise.all(bad)) {
      expectOAuthError(await tokenRequest(codeForm(code, verifier), proof), 400, 'invalid_dpop_proof');
    }
    // A proof carrying the private key, and an HMAC "proof".
    const withPrivate = await dpopProof(key, 'POST', TOKEN_URL, {}, { jwk: await exportJWK(key.privateKey) });
    expectOAuthError(await tokenRequest(codeForm(code, verifier), withPrivate), 400, 'invalid_dpop_proof');
    const hmac = await new SignJWT({
      htm: 'POST',
      htu: TOKEN_URL,
      jti: randomUUID(),
      iat: Math.floor(Date.now() / 1000),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } as JWK })
      .sign(new TextEncoder().encode('secret-secret-secret-secret-1234'));
    expectOAuthError(await tokenRequest(codeForm(code, verifier), hmac), 400, 'invalid_dpop_proof');
    // Two DPoP headers.
    const two = await request(t.server)
      .post('/oauth/token')
      .type('form')
      // superagent sends an array as repeated header lines.
      .set('DPoP', [
        await dpopProof(key, 'POST', TOKEN_URL),
        await dpopProof(key, 'POST', TOKEN_URL),
      ] as unknown as string)
      .send(codeForm(code, verifier));
    expectOAuthError(two, 400, 'invalid_dpop_proof');
    // The code is still good.
    const good = await dpopProof(key, 'POST', TOKEN_URL);
    const res = await tokenRequest(codeForm(code, verifier), good);
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
  });

  it('refuses a replayed token-endpoint proof', async () => {
    const key = await dpopKey();
    const proof = await dpopProof(key, 'POST', TOKEN_URL);
    const first = await codeOf();
    expect((await tokenRequest(codeForm(first.code, first.verifier), proof)).status).toBe(200);
    const second = await codeOf();
    expectOAuthError(await tokenRequest(codeForm(second.code, second.verifier), proof), 400, 'invalid_dpop_proof');
  });

  it("binds a public client's refresh token: another key or no proof fails, and the family survives", async () => {
    const key = await dpopKey();
    const tokens = await dpopTokens(key);
    const form = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: DPOP_SPA.id };
    const thief = await dpopKey();
    expectOAuthError(await tokenRequest(form, await dpopProof(thief, 'POST', TOKEN_URL)), 400, 'invalid_grant');
    expectOAuthError(await tokenRequest(form), 400, 'invalid_dpop_proof');
    const res = await tokenRequest(form, await dpopProof(key, 'POST', TOKEN_URL));
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    expect(decodeJwt(res.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
  });

  it('accepts the access token with a proof of its key for this request', async () => {
    const key = await dpopKey();
    const { access_token: token } = await dpopTokens(key);
    const res = await callNotes(token, await dpopProof(key, 'GET', NOTES_URL, { ath: ath(token) }));
    expect(res.status).toBe(200);
    // The URL is compared without its query (RFC 9449 §4.3).
    const withQuery = await request(t.server)
      .get('/notes?limit=5')
      .set('Host', API_HOST)
      .set('Authorization', `DPoP ${token}`)
      .set('DPoP', await dpopProof(key, 'GET', NOTES_URL, { ath: ath(token) }));
    expect(withQuery.status).not.toBe(401);
  });

  it('refuses the same access token without a proof, as Bearer, for another URL or method, replayed, or with another key', async () => {
    const key = await dpopKey();
    const { access_token: token } = await dpopTokens(key);
    const proof = (claims: Record<string, unknown> = {}, signer: DpopKey = key, htm = 'GET', htu = NOTES_URL) =>
      dpopProof(signer, htm, htu, { ath: ath(token), ...claims });

    expectDpopChallenge(await callNotes(token, undefined), 'invalid_dpop_proof');
    expectDpopChallenge(await callNotes(token, await proof(), 'Bearer'), 'invalid_token');
    expectDpopChallenge(await callNotes(token, undefined, 'Bearer'), 'invalid_token');
    expectDpopChallenge(
      await callNotes(token, await proof({}, key, 'GET', `http://${API_HOST}/users/me`)),
      'invalid_dpop_proof',
    );
    expectDpopChallenge(
      await callNotes(token, await proof({}, key, 'GET', `http://other.test/notes`)),
      'invalid_dpop_proof',
    );
    expectDpopChallenge(await callNotes(token, await proof({}, key, 'POST')), 'invalid_dpop_proof');
    expectDpopChallenge(await callNotes(token, await proof({}, key, 'GET'), 'DPoP', 'post'), 'invalid_dpop_proof');
    expectDpopChallenge(await callNotes(token, await proof({}, await dpopKey())), 'invalid_dpop_proof');
    expectDpopChallenge(await callNotes(token, await proof({ ath: ath(`${token}x`) })), 'invalid_dpop_proof');
    expectDpopChallenge(await callNotes(token, await proof({ ath: undefined })), 'invalid_dpop_proof');
    expectDpopChallenge(
      await callNotes(token, await proof({ iat: Math.floor(Date.now() / 1000) - 600 })),
      'invalid_dpop_proof',
    );
    expectDpopChallenge(await callNotes(token, 'not.a.proof'), 'invalid_dpop_proof');
    const replayed = await proof();
    expect((await callNotes(token, replayed)).status).toBe(200);
    expectDpopChallenge(await callNotes(token, replayed), 'invalid_dpop_proof');
  });

  it('refuses a Bearer token presented under the DPoP scheme', async () => {
    // The confidential backend's client-credentials token is a plain Bearer token.
    const res = await postForm(
      t.server,
      '/oauth/token',
      { grant_type: 'client_credentials', scope: 'notes:read' },
      basic(BACKEND.id, BACKEND.secret),
    );
    expect(res.body.token_type).toBe('Bearer');
    const token = res.body.access_token as string;
    const key = await dpopKey();
    expectDpopChallenge(
      await callNotes(token, await dpopProof(key, 'GET', NOTES_URL, { ath: ath(token) })),
      'invalid_token',
    );
  });

  it('binds a confidential client’s client-credentials token when it sends a proof', async () => {
    const key = await dpopKey();
    const res = await tokenRequest(
      { grant_type: 'client_credentials', scope: 'notes:read' },
      await dpopProof(key, 'POST', TOKEN_URL),
      basic(BACKEND.id, BACKEND.secret),
    );
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    const token = res.body.access_token as string;
    expect(decodeJwt(token).cnf).toEqual({ jkt: key.jkt });
    expectDpopChallenge(await callNotes(token, undefined, 'Bearer'), 'invalid_token');
  });
}

function nonceSuite(platform: (typeof PLATFORMS)[number], overrides: TestConfig): void {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, config(overrides, { dpopRequireNonce: true }));
  });
  afterAll(async () => {
    await t.close();
  });

  it('asks for a server nonce (use_dpop_nonce + DPoP-Nonce), then accepts a proof carrying it', async () => {
    const key = await dpopKey();
    const form = await freshCodeForm(t.server);
    const post = (proof: string) => request(t.server).post('/oauth/token').type('form').set('DPoP', proof).send(form);
    const first = await post(await dpopProof(key, 'POST', TOKEN_URL));
    expectOAuthError(first, 400, 'use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expectOAuthError(await post(await dpopProof(key, 'POST', TOKEN_URL, { nonce: 'made-up' })), 400, 'use_dpop_nonce');
    const ok = await post(await dpopProof(key, 'POST', TOKEN_URL, { nonce }));
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('DPoP');
    expect(ok.headers['dpop-nonce']).toBe(nonce);
  });
}

describe.each(PLATFORMS)('DPoP on %s (memory store)', (platform) => {
  suite(platform, {});
  describe('with server nonces', () => nonceSuite(platform, {}));
});

describeWithRedis('DPoP with Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    suite(platform, { redisUrl });
    describe('with server nonces', () => nonceSuite(platform, { redisUrl }));
  });
});
