import { calculateJwkThumbprint, decodeJwt, exportJWK, importJWK, type CryptoKey } from 'jose';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { DEMO_PARTNER_PRIVATE_JWK } from '../apps/sample-api/src/oauth/demo-client-keys';
import { reservePort, signIn } from './utils/interop';
import { DPOP_SPA } from './utils/oauth';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

function interop(platform: (typeof PLATFORMS)[number], overrides: TestConfig): void {
  let t: TestApp;
  let issuer: string;
  const options = {
    algorithm: 'oauth2' as const,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the test server speaks plain HTTP on loopback
    execute: [client.allowInsecureRequests],
  };

  beforeAll(async () => {
    const reserved = await reservePort();
    issuer = `http://127.0.0.1:${(reserved.address() as AddressInfo).port}`;
    t = await startApp(platform, { jwtIssuer: issuer, ...overrides });
    await new Promise<void>((resolve) => t.server.listen(reserved, resolve));
  });
  afterAll(async () => {
    await t.close();
  });

  it('runs a DPoP + PKCE flow with openid-client and calls the API with the bound token', async () => {
    const spa = await client.discovery(new URL(issuer), DPOP_SPA.id, undefined, client.None(), options);
    expect(spa.serverMetadata().dpop_signing_alg_values_supported).toContain('ES256');
    const keyPair = await client.randomDPoPKeyPair('ES256');
    const DPoP = client.getDPoPHandle(spa, keyPair);

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorizationUrl = client.buildAuthorizationUrl(spa, {
      redirect_uri: DPOP_SPA.redirectUri,
      scope: 'notes:read profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const callback = await signIn(authorizationUrl, issuer);
    const tokens = await client.authorizationCodeGrant(
      spa,
      callback,
      { pkceCodeVerifier: verifier, expectedState: state },
      undefined,
      { DPoP },
    );
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toHaveProperty('jkt');

    // The API accepts the token with openid-client's proof (ath, htm, htu, jti).
    const notesUrl = new URL('/notes', issuer);
    const notes = await client.fetchProtectedResource(spa, tokens.access_token, notesUrl, 'GET', undefined, undefined, {
      DPoP,
    });
    expect(notes.status).toBe(200);

    // The same token without a proof, as Bearer, or with another key's proof is refused.
    const bare = await fetch(notesUrl, { headers: { authorization: `DPoP ${tokens.access_token}` } });
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toMatch(/DPoP realm="api", error="invalid_dpop_proof", algs="/);
    const asBearer = await fetch(notesUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/DPoP realm="api", error="invalid_token"/);
    const otherKey = client.getDPoPHandle(spa, await client.randomDPoPKeyPair('ES256'));
    // openid-client surfaces the server's challenge: a DPoP one, invalid_dpop_proof.
    await expect(
      client.fetchProtectedResource(spa, tokens.access_token, notesUrl, 'GET', undefined, undefined, {
        DPoP: otherKey,
      }),
    ).rejects.toMatchObject({
      code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
      status: 401,
      cause: expect.arrayContaining([
        expect.objectContaining({
          scheme: 'dpop',
          parameters: expect.objectContaining({ error: 'invalid_dpop_proof' }),
        }),
      ]),
    });

    // The refresh token is bound to the key: a thief's key fails, the client's own works.
    await expect(
      client.refreshTokenGrant(spa, tokens.refresh_token ?? '', undefined, { DPoP: otherKey }),
    ).rejects.toThrow();
    const refreshed = await client.refreshTokenGrant(spa, tokens.refresh_token ?? '', undefined, { DPoP });
    expect(refreshed.token_type.toLowerCase()).toBe('dpop');
    const again = await client.fetchProtectedResource(
      spa,
      refreshed.access_token,
      notesUrl,
      'GET',
      undefined,
      undefined,
      {
        DPoP,
      },
    );
    expect(again.status).toBe(200);
  });

  it('runs PAR + PKCE + DPoP with openid-client: code bound at PAR, tokens and refresh bound, every misuse of the token refused', async () => {
    const spa = await client.discovery(new URL(issuer), DPOP_SPA.id, undefined, client.None(), options);
    // Every request openid-client sends, as sent: proofs to replay or redirect below.
    const sent: Array<{ url: string; method: string; headers: Record<string, string> }> = [];
    let rewrite: ((url: string, method: string) => { url: string; method: string }) | undefined;
    spa[client.customFetch] = (url, init) => {
      sent.push({ url, method: init.method, headers: { ...init.headers } });
      const target = rewrite ? rewrite(url, init.method) : { url, method: init.method };
      return fetch(target.url, { ...init, method: target.method, body: target.method === 'GET' ? null : init.body });
    };
    const keyPair = await client.randomDPoPKeyPair('ES256');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    const DPoP = client.getDPoPHandle(spa, keyPair);
    const thief = client.getDPoPHandle(spa, await client.randomDPoPKeyPair('ES256'));

    // PAR with a DPoP proof (RFC 9449 §10.1): the code is bound to the key before it exists.
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorizationUrl = await client.buildAuthorizationUrlWithPAR(
      spa,
      {
        redirect_uri: DPOP_SPA.redirectUri,
        scope: 'notes:read notes:write profile',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      },
      { DPoP },
    );
    expect([...authorizationUrl.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const pushed = sent.filter((request) => request.url.endsWith('/oauth/par'));
    expect(pushed.at(-1)?.headers.dpop).toBeDefined();
    const callback = await signIn(authorizationUrl, issuer);

    // The code and the PKCE verifier stolen together are still useless with another key.
    await expect(
      client.authorizationCodeGrant(spa, callback, { pkceCodeVerifier: verifier, expectedState: state }, undefined, {
        DPoP: thief,
      }),
    ).rejects.toMatchObject({ code: 'OAUTH_RESPONSE_BODY_ERROR', error: 'invalid_grant' });
    const tokens = await client.authorizationCodeGrant(
      spa,
      callback,
      { pkceCodeVerifier: verifier, expectedState: state },
      undefined,
      { DPoP },
    );
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });

    // Refresh with DPoP: the public client's refresh token is bound (a thief's key is refused).
    await expect(
      client.refreshTokenGrant(spa, tokens.refresh_token ?? '', undefined, { DPoP: thief }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    const refreshed = await client.refreshTokenGrant(spa, tokens.refresh_token ?? '', undefined, { DPoP });
    expect(refreshed.token_type.toLowerCase()).toBe('dpop');
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const token = refreshed.access_token;
    expect(decodeJwt(token).cnf).toEqual({ jkt });

    const notesUrl = new URL('/notes', issuer);
    const ok = await client.fetchProtectedResource(spa, token, notesUrl, 'GET', undefined, undefined, { DPoP });
    expect(ok.status).toBe(200);
    const proofSent = sent.at(-1);
    expect(proofSent?.url).toBe(notesUrl.href);

    /** openid-client surfaces the API's 401 DPoP challenge; its error must be one of RFC 9449's. */
    const refusedWithChallenge = expect.objectContaining({
      code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
      status: 401,
      cause: expect.arrayContaining([
        expect.objectContaining({
          scheme: 'dpop',
          parameters: expect.objectContaining({ error: expect.stringMatching(/^(invalid_dpop_proof|invalid_token)$/) }),
        }),
      ]),
    });
    const expectDpopRefusal = (res: Response): void => {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(
        /(^|, )DPoP realm="api", error="(invalid_dpop_proof|invalid_token)"/,
      );
    };

    // Without a proof.
    expectDpopRefusal(await fetch(notesUrl, { headers: { authorization: `DPoP ${token}` } }));
    // The proof that was just accepted, replayed.
    expectDpopRefusal(await fetch(notesUrl, { headers: proofSent?.headers ?? {} }));
    // A fresh proof for another URL, sent to /notes.
    rewrite = (url) => ({ url: url.replace('/not-notes', '/notes'), method: 'GET' });
    await expect(
      client.fetchProtectedResource(spa, token, new URL('/not-notes', issuer), 'GET', undefined, undefined, { DPoP }),
    ).rejects.toEqual(refusedWithChallenge);
    // A fresh proof for another method (POST), sent as GET.
    rewrite = (url) => ({ url, method: 'GET' });
    await expect(
      client.fetchProtectedResource(spa, token, notesUrl, 'POST', undefined, undefined, { DPoP }),
    ).rejects.toEqual(refusedWithChallenge);
    rewrite = undefined;
    // Another key's proof.
    await expect(
      client.fetchProtectedResource(spa, token, notesUrl, 'GET', undefined, undefined, { DPoP: thief }),
    ).rejects.toEqual(refusedWithChallenge);
    // After all that, the client with its key still gets in: refusals changed nothing.
    const still = await client.fetchProtectedResource(spa, token, notesUrl, 'GET', undefined, undefined, { DPoP });
    expect(still.status).toBe(200);
  });

  it('authenticates a private_key_jwt client with openid-client and binds its token with DPoP', async () => {
    const key = (await importJWK(DEMO_PARTNER_PRIVATE_JWK, 'ES256')) as CryptoKey;
    const partner = await client.discovery(
      new URL(issuer),
      'demo-partner',
      undefined,
      client.PrivateKeyJwt({ key, kid: DEMO_PARTNER_PRIVATE_JWK.kid }),
      options,
    );
    const DPoP = client.getDPoPHandle(partner, await client.randomDPoPKeyPair('ES256'));
    const machine = await client.clientCredentialsGrant(partner, { scope: 'notes:read' }, { DPoP });
    expect(machine.token_type.toLowerCase()).toBe('dpop');
    const introspection = await client.tokenIntrospection(partner, machine.access_token);
    expect(introspection).toMatchObject({ active: true, client_id: 'demo-partner', token_type: 'DPoP' });
    await client.tokenRevocation(partner, machine.access_token);
    expect((await client.tokenIntrospection(partner, machine.access_token)).active).toBe(false);
  });
}

const generous: TestConfig = {
  rateLimit: { perIpPerMinute: 0 },
  oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000 },
};

describe.each(PLATFORMS)('openid-client DPoP interop on %s (memory store)', (platform) => {
  interop(platform, generous);
});

describeWithRedis('openid-client DPoP interop with Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    interop(platform, { ...generous, redisUrl });
  });
});

describe.each(PLATFORMS)('openid-client DPoP interop with server nonces on %s', (platform) => {
  interop(platform, {
    ...generous,
    oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000, dpopRequireNonce: true },
  });
});

// Threat detection in its refusing modes must let DPoP through: proofs are JWTs in a header, and
// PAR, dpop_jkt and the nonce retries are the protocol, not an attack.
describe.each(['block', 'ban'] as const)('openid-client DPoP interop with THREAT_MODE=%s', (mode) => {
  describe.each(PLATFORMS)('on %s (memory store)', (platform) => {
    interop(platform, { ...generous, threat: { mode } });
  });
});
