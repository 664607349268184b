import { decodeJwt } from 'jose';
import type { Server } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { dpopKey, dpopProof, type DpopKey } from './utils/dpop';
import { SPA, authorize, login, pkce, postForm, type Pkce, expectOAuthError } from './utils/oauth';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

// RFC 9449 §10: an authorization code bound to a DPoP key, by `dpop_jkt` on the authorization (or
// pushed) request or by a proof sent with the pushed request. The attack it stops: a code stolen
// from the redirect (logs, a malicious app on the same loopback, a Referer), redeemed with the
// stolen PKCE verifier too, by someone without the client's private key.

const ISSUER = 'http://localhost:3000';
const TOKEN_URL = `${ISSUER}/oauth/token`;
const PAR_URL = `${ISSUER}/oauth/par`;

function config(overrides: TestConfig = {}): TestConfig {
  return {
    rateLimit: { perIpPerMinute: 0 },
    oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000 },
    ...overrides,
  };
}

function pushedForm(codes: Pkce, extra: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: SPA.id,
    response_type: 'code',
    redirect_uri: SPA.redirectUri,
    code_challenge: codes.challenge,
    code_challenge_method: 'S256',
    scope: 'notes:read',
    state: 'jkt-state',
    ...extra,
  };
}

/** Follows a pushed request's request_uri through the login form to the code. */
async function codeOfPushed(server: Server, requestUri: string): Promise<string> {
  const query = new URLSearchParams({ client_id: SPA.id, request_uri: requestUri });
  const first = await request(server).get(`/oauth/authorize?${query.toString()}`);
  expect(first.status).toBe(302);
  const returnTo = new URL(first.headers.location as string, 'http://x').searchParams.get('return_to') ?? '';
  const { cookie, location } = await login(server, returnTo);
  const back = await request(server).get(location).set('Cookie', cookie);
  expect(back.status).toBe(302);
  return new URL(back.headers.location as string).searchParams.get('code') ?? '';
}

function suite(platform: (typeof PLATFORMS)[number], overrides: TestConfig): void {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, config(overrides));
  });
  afterAll(() => t.close());

  function redeem(code: string, codes: Pkce, proof?: string): request.Test {
    const req = request(t.server).post('/oauth/token').type('form');
    if (proof !== undefined) req.set('DPoP', proof);
    return req.send({
      grant_type: 'authorization_code',
      code,
      code_verifier: codes.verifier,
      redirect_uri: SPA.redirectUri,
      client_id: SPA.id,
    });
  }

  function push(form: Record<string, string>, proof?: string): request.Test {
    const req = request(t.server).post('/oauth/par').type('form');
    if (proof !== undefined) req.set('DPoP', proof);
    return req.send(form);
  }

  /** A code bound by a DPoP proof on its pushed request. */
  async function boundByPushedProof(key: DpopKey): Promise<{ code: string; codes: Pkce }> {
    const codes = pkce();
    const pushed = await push(pushedForm(codes), await dpopProof(key, 'POST', PAR_URL));
    expect(pushed.status).toBe(201);
    return { code: await codeOfPushed(t.server, pushed.body.request_uri as string), codes };
  }

  it('binds the code to dpop_jkt of the authorization request: a thief with the code and verifier but another key gets invalid_grant', async () => {
    const key = await dpopKey();
    const thief = await dpopKey();
    const { code, pkce: codes } = await authorize(t.server, { dpop_jkt: key.jkt });
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    expectOAuthError(await redeem(code ?? '', codes), 400, 'invalid_grant');
    expectOAuthError(await redeem(code ?? '', codes, await dpopProof(thief, 'POST', TOKEN_URL)), 400, 'invalid_grant');

    // The refusals burned nothing: the client with its key redeems the code, its token is bound.
    const res = await redeem(code ?? '', codes, await dpopProof(key, 'POST', TOKEN_URL));
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    expect(decodeJwt(res.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
  });

  it('refuses a malformed dpop_jkt at the authorization endpoint (redirected invalid_request) and at PAR', async () => {
    const { location, code } = await authorize(t.server, { dpop_jkt: 'not-a-thumbprint' });
    expect(code).toBeNull();
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expectOAuthError(await push(pushedForm(pkce(), { dpop_jkt: 'x'.repeat(44) })), 400, 'invalid_request');
  });

  it('binds the code to the key of a DPoP proof on the pushed request (RFC 9449 §10.1)', async () => {
    const key = await dpopKey();
    const thief = await dpopKey();
    const { code, codes } = await boundByPushedProof(key);
    expectOAuthError(await redeem(code, codes, await dpopProof(thief, 'POST', TOKEN_URL)), 400, 'invalid_grant');
    expectOAuthError(await redeem(code, codes), 400, 'invalid_grant');
    const res = await redeem(code, codes, await dpopProof(key, 'POST', TOKEN_URL));
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
  });

  it('binds the code to dpop_jkt pushed without a proof', async () => {
    const key = await dpopKey();
    const codes = pkce();
    const pushed = await push(pushedForm(codes, { dpop_jkt: key.jkt }));
    expect(pushed.status).toBe(201);
    const code = await codeOfPushed(t.server, pushed.body.request_uri as string);
    expectOAuthError(
      await redeem(code, codes, await dpopProof(await dpopKey(), 'POST', TOKEN_URL)),
      400,
      'invalid_grant',
    );
    expect((await redeem(code, codes, await dpopProof(key, 'POST', TOKEN_URL))).status).toBe(200);
  });

  it('refuses a pushed request whose dpop_jkt names another key than its proof', async () => {
    const key = await dpopKey();
    const other = await dpopKey();
    expectOAuthError(
      await push(pushedForm(pkce(), { dpop_jkt: other.jkt }), await dpopProof(key, 'POST', PAR_URL)),
      400,
      'invalid_dpop_proof',
    );
    // The same key twice is fine.
    expect((await push(pushedForm(pkce(), { dpop_jkt: key.jkt }), await dpopProof(key, 'POST', PAR_URL))).status).toBe(
      201,
    );
  });

  it('refuses a pushed request with a proof for another URL or method, or a replayed proof', async () => {
    const key = await dpopKey();
    for (const proof of await Promise.all([
      dpopProof(key, 'POST', TOKEN_URL),
      dpopProof(key, 'GET', PAR_URL),
      dpopProof(key, 'POST', PAR_URL, { iat: Math.floor(Date.now() / 1000) - 3600 }),
    ])) {
      expectOAuthError(await push(pushedForm(pkce()), proof), 400, 'invalid_dpop_proof');
    }
    const once = await dpopProof(key, 'POST', PAR_URL);
    expect((await push(pushedForm(pkce()), once)).status).toBe(201);
    expectOAuthError(await push(pushedForm(pkce()), once), 400, 'invalid_dpop_proof');
    // Two DPoP headers: one proof exactly (RFC 9449 §4.3).
    const twice = await request(t.server)
      .post('/oauth/par')
      .type('form')
      // superagent sends an array as repeated header lines.
      .set('DPoP', [await dpopProof(key, 'POST', PAR_URL), await dpopProof(key, 'POST', PAR_URL)] as unknown as string)
      .send(pushedForm(pkce()));
    expectOAuthError(twice, 400, 'invalid_dpop_proof');
  });

  it('keeps an unbound code redeemable without DPoP (dpop_jkt is the client’s choice)', async () => {
    const { code, pkce: codes } = await authorize(t.server);
    const res = await redeem(code ?? '', codes);
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
  });
}

describe.each(PLATFORMS)('dpop_jkt code binding on %s (memory store)', (platform) => {
  suite(platform, {});
});

describeWithRedis('dpop_jkt code binding with Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    suite(platform, { redisUrl });
  });
});

describe.each(PLATFORMS)('dpop_jkt at PAR with server nonces on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, {
      rateLimit: { perIpPerMinute: 0 },
      oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000, dpopRequireNonce: true },
    });
  });
  afterAll(() => t.close());

  it('asks for the nonce at PAR (use_dpop_nonce with DPoP-Nonce), then binds the code to the proof', async () => {
    const key = await dpopKey();
    const codes = pkce();
    const first = await postForm(t.server, '/oauth/par', pushedForm(codes)).set(
      'DPoP',
      await dpopProof(key, 'POST', PAR_URL),
    );
    expectOAuthError(first, 400, 'use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]+$/);
    const pushed = await postForm(t.server, '/oauth/par', pushedForm(codes)).set(
      'DPoP',
      await dpopProof(key, 'POST', PAR_URL, { nonce }),
    );
    expect(pushed.status).toBe(201);
    expect(pushed.headers['dpop-nonce']).toBe(nonce);
    const code = await codeOfPushed(t.server, pushed.body.request_uri as string);
    const stolen = await postForm(t.server, '/oauth/token', {
      grant_type: 'authorization_code',
      code,
      code_verifier: codes.verifier,
      redirect_uri: SPA.redirectUri,
      client_id: SPA.id,
    }).set('DPoP', await dpopProof(await dpopKey(), 'POST', TOKEN_URL, { nonce }));
    expectOAuthError(stolen, 400, 'invalid_grant');
  });
});
