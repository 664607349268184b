import { decodeJwt, importJWK, type CryptoKey } from 'jose';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { DEMO_PARTNER_PRIVATE_JWK } from '../apps/sample-api/src/oauth/demo-client-keys';
import { reservePort, signIn } from './utils/interop';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

const DPOP_SPA = { id: 'demo-dpop-spa', redirectUri: 'http://127.0.0.1/dpop/callback' } as const;

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
