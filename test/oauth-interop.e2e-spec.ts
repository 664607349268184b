import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservePort, signIn } from './utils/interop';
import { BACKEND, SPA } from './utils/oauth';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

const AUDIENCE = 'http://localhost:3000/api';

function interop(platform: (typeof PLATFORMS)[number], overrides: TestConfig): void {
  let t: TestApp;
  let issuer: string;

  beforeAll(async () => {
    const reserved = await reservePort();
    issuer = `http://127.0.0.1:${(reserved.address() as AddressInfo).port}`;
    t = await startApp(platform, {
      jwtIssuer: issuer,
      ...overrides,
    });
    // listen(handle): the app's server takes over the reserved socket; the port is never free between.
    await new Promise<void>((resolve) => t.server.listen(reserved, resolve));
  });
  afterAll(async () => {
    await t.close();
  });

  it('runs the authorization code flow with PKCE, refresh, revocation and introspection with openid-client', async () => {
    // Discovery from the RFC 8414 metadata (openid-client checks `issuer` equals the URL).
    const spa = await client.discovery(new URL(issuer), SPA.id, undefined, client.None(), {
      algorithm: 'oauth2',
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- the test server speaks plain HTTP on loopback
      execute: [client.allowInsecureRequests],
    });
    expect(spa.serverMetadata().code_challenge_methods_supported).toEqual(['S256']);

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const redirectUri = SPA.redirectUri;
    const authorizationUrl = client.buildAuthorizationUrl(spa, {
      redirect_uri: redirectUri,
      scope: 'notes:read profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const callback = await signIn(authorizationUrl, issuer);
    expect(callback.searchParams.get('iss')).toBe(issuer);

    // A callback with another `iss` (a mix-up attack, RFC 9207) is refused by the client.
    const mixedUp = new URL(callback);
    mixedUp.searchParams.set('iss', 'https://attacker.example');
    await expect(
      client.authorizationCodeGrant(spa, mixedUp, { pkceCodeVerifier: verifier, expectedState: state }),
    ).rejects.toThrow();
    // So is one with another `state`.
    await expect(
      client.authorizationCodeGrant(spa, callback, { pkceCodeVerifier: verifier, expectedState: 'other' }),
    ).rejects.toThrow();

    const tokens = await client.authorizationCodeGrant(spa, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.scope).toBe('notes:read profile');

    // The access token, against the published JWKS.
    const jwks = createRemoteJWKSet(new URL(spa.serverMetadata().jwks_uri ?? ''));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer,
      audience: AUDIENCE,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.kid).toBeDefined();
    expect(payload).toMatchObject({ sub: 'u-alice', client_id: SPA.id });

    // The API accepts it.
    const notes = await fetch(new URL('/notes', issuer), {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(notes.status).toBe(200);

    // Refresh, with rotation.
    const refreshed = await client.refreshTokenGrant(spa, tokens.refresh_token ?? '');
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    // Introspection by the confidential backend (client_secret_basic).
    const backend = await client.discovery(
      new URL(issuer),
      BACKEND.id,
      undefined,
      client.ClientSecretBasic(BACKEND.secret),
      {
        algorithm: 'oauth2',
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- the test server speaks plain HTTP on loopback
        execute: [client.allowInsecureRequests],
      },
    );
    const active = await client.tokenIntrospection(backend, refreshed.access_token);
    expect(active).toMatchObject({ active: true, sub: 'u-alice', client_id: SPA.id });

    // Revocation: the token is inactive and the API refuses it.
    await client.tokenRevocation(spa, refreshed.access_token);
    expect((await client.tokenIntrospection(backend, refreshed.access_token)).active).toBe(false);
    const refused = await fetch(new URL('/notes', issuer), {
      headers: { authorization: `Bearer ${refreshed.access_token}` },
    });
    expect(refused.status).toBe(401);

    // Client credentials for the backend (client_secret_basic).
    const machine = await client.clientCredentialsGrant(backend, { scope: 'notes:read' });
    expect(machine.access_token).toBeDefined();

    // Whatever the threat mode, the standard flow left the client in good standing (no ban, no
    // block): a route a ban would refuse (/health is exempt from bans) still answers.
    expect((await fetch(new URL('/.well-known/oauth-authorization-server', issuer))).status).toBe(200);
  });
  it('runs a pushed authorization request (RFC 9126) with PKCE with openid-client', async () => {
    const spa = await client.discovery(new URL(issuer), SPA.id, undefined, client.None(), {
      algorithm: 'oauth2',
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- the test server speaks plain HTTP on loopback
      execute: [client.allowInsecureRequests],
    });
    expect(spa.serverMetadata().pushed_authorization_request_endpoint).toBe(`${issuer}/oauth/par`);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorizationUrl = await client.buildAuthorizationUrlWithPAR(spa, {
      redirect_uri: SPA.redirectUri,
      scope: 'notes:read',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    // Only the client id and the request_uri travel through the browser.
    expect([...authorizationUrl.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const callback = await signIn(authorizationUrl, issuer);
    const tokens = await client.authorizationCodeGrant(spa, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.scope).toBe('notes:read');
    const notes = await fetch(new URL('/notes', issuer), {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(notes.status).toBe(200);
  });
}

describe.each(PLATFORMS)('openid-client interop on %s (memory store)', (platform) => {
  interop(platform, {});
});

describeWithRedis('openid-client interop with Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    interop(platform, { redisUrl });
  });
});

// Threat detection in its refusing modes must not fight the OAuth server: its protocol parameters
// (a loopback redirect_uri, the resource URI) are its own to validate, and a sign-in is no attack.
describe.each(['block', 'ban'] as const)('openid-client interop with THREAT_MODE=%s', (mode) => {
  describe.each(PLATFORMS)('on %s (memory store)', (platform) => {
    interop(platform, { threat: { mode } });
  });
  describeWithRedis('with Redis', () => {
    describe.each(PLATFORMS)('on %s', (platform) => {
      interop(platform, { redisUrl, threat: { mode } });
    });
  });
});
