import { RAMPART_STORE, SecurityEvents, type SecurityEvent, type Store } from '@rampart/core';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import {
  BACKEND,
  CLI,
  SPA,
  authorize,
  authorizeQuery,
  basic,
  exchange,
  login,
  pkce,
  postForm,
  expectOAuthError,
} from './utils/oauth';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

const ISSUER = 'http://localhost:3000';
const AUDIENCE = 'http://localhost:3000/api';

/** Generous limits: this suite signs in and exchanges codes far more often than a person would. */
function config(overrides: TestConfig = {}): TestConfig {
  return {
    rateLimit: { perIpPerMinute: 0 },
    // No grace for a concurrent refresh here: a replayed token is reuse at once (the grace has its own suite).
    oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000, refreshReuseGraceSeconds: 0 },
    ...overrides,
  };
}

/** An error sent back to the client's redirect URI, with `state` and `iss` (RFC 9207). */
function expectErrorRedirect(res: request.Response, error: string, redirectUri: string = SPA.redirectUri): URL {
  expect(res.status).toBe(302);
  const location = new URL(res.headers.location as string);
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  expect(location.searchParams.get('error')).toBe(error);
  expect(location.searchParams.get('iss')).toBe(ISSUER);
  expect(location.searchParams.get('code')).toBeNull();
  return location;
}

function suite(platform: (typeof PLATFORMS)[number], overrides: TestConfig): void {
  let t: TestApp;
  let events: SecurityEvent[];
  const statuses: number[] = [];

  beforeAll(async () => {
    t = await startApp(platform, config(overrides));
    t.app.get(SecurityEvents).subscribe((event) => events.push(event));
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(() => {
    events = [];
  });
  events = [];

  /** Tokens of a fresh authorization-code grant of the SPA. */
  async function tokensOf(scope = 'notes:read profile'): Promise<{ access_token: string; refresh_token: string }> {
    const { code, pkce: codes } = await authorize(t.server, { scope });
    const res = await exchange(t.server, code ?? '', codes.verifier);
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  }

  function notes(accessToken: string): request.Test {
    return request(t.server).get('/notes').set('Authorization', `Bearer ${accessToken}`);
  }

  function track<T extends request.Response>(res: T): T {
    statuses.push(res.status);
    return res;
  }

  afterAll(() => {
    // Whatever the attack, never a 500.
    expect(statuses.every((status) => status < 500)).toBe(true);
  });

  describe('metadata and keys', () => {
    it('publishes RFC 8414 metadata', async () => {
      const res = await request(t.server).get('/.well-known/oauth-authorization-server');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/oauth/authorize`,
        token_endpoint: `${ISSUER}/oauth/token`,
        revocation_endpoint: `${ISSUER}/oauth/revoke`,
        introspection_endpoint: `${ISSUER}/oauth/introspect`,
        jwks_uri: `${ISSUER}/.well-known/jwks.json`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
      expect(res.body.grant_types_supported).not.toContain('password');
      expect(res.body.grant_types_supported).not.toContain('implicit');
    });

    it('publishes public keys only, each with a kid', async () => {
      const res = await request(t.server).get('/.well-known/jwks.json');
      expect(res.status).toBe(200);
      const keys = res.body.keys as Record<string, unknown>[];
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(typeof key.kid).toBe('string');
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(secret);
      }
    });
  });

  describe('authorization code with PKCE', () => {
    it('sends an unsigned-in user to the login form, then back, then to the client with code, state and iss', async () => {
      const codes = pkce();
      const first = await request(t.server).get(`/oauth/authorize?${authorizeQuery(codes.challenge)}`);
      expect(first.status).toBe(302);
      expect(first.headers.location).toMatch(/^\/oauth\/login\?return_to=%2Foauth%2Fauthorize%3Finteraction%3D/);
      const returnTo = new URL(first.headers.location as string, 'http://x').searchParams.get('return_to') ?? '';

      const form = await request(t.server).get(`/oauth/login?return_to=${encodeURIComponent(returnTo)}`);
      expect(form.status).toBe(200);
      expect(form.headers['content-type']).toMatch(/^text\/html/);
      // Clickjacking: the login page may not be framed.
      expect(form.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(form.headers['x-frame-options']).toBe('DENY');

      const { cookie, location } = await login(t.server, returnTo);
      expect(location).toBe(returnTo);
      expect(cookie).toMatch(/^rampart_session=/);
      const back = await request(t.server).get(location).set('Cookie', cookie);
      expect(back.status).toBe(302);
      const redirect = new URL(back.headers.location as string);
      expect(`${redirect.origin}${redirect.pathname}`).toBe(SPA.redirectUri);
      expect(redirect.searchParams.get('state')).toBe('state-123');
      expect(redirect.searchParams.get('iss')).toBe(ISSUER);
      expect(redirect.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);

      // The interaction is single use: the same resume link gives nothing a second time.
      const again = track(await request(t.server).get(location).set('Cookie', cookie));
      expectOAuthError(again, 400, 'invalid_request');
    });

    it('issues RFC 9068 access tokens the API accepts, with no-store', async () => {
      const { code, pkce: codes } = await authorize(t.server);
      const res = await exchange(t.server, code ?? '', codes.verifier);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'notes:read profile' });
      expect(res.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);

      const jwks = await request(t.server).get('/.well-known/jwks.json');
      const header = decodeProtectedHeader(res.body.access_token as string);
      expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      expect(typeof header.kid).toBe('string');
      const { payload } = await jwtVerify(res.body.access_token as string, createLocalJWKSet(jwks.body), {
        issuer: ISSUER,
        audience: AUDIENCE,
        typ: 'at+jwt',
      });
      expect(payload).toMatchObject({ sub: 'u-alice', client_id: SPA.id, scope: 'notes:read profile' });
      expect(payload.exp! - payload.iat!).toBe(900);
      expect(typeof payload.jti).toBe('string');

      expect((await notes(res.body.access_token as string)).status).toBe(200);
      expect(events.some((e) => e.type === 'token.issued' && e.subject === 'user:u-alice')).toBe(true);
    });

    it('answers without CORS on the authorization endpoint', async () => {
      const res = await request(t.server)
        .get(`/oauth/authorize?${authorizeQuery(pkce().challenge)}`)
        .set('Origin', 'http://localhost:5173');
      expect(res.status).toBe(302);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });

    it("takes any port of a native client's loopback IP redirect URI (RFC 8252 §7.3), and only that", async () => {
      const uri = 'http://127.0.0.1:54321/cli/callback';
      const ok = await authorize(t.server, { redirect_uri: uri, scope: 'notes:read' }, { client: CLI });
      expect(ok.location.origin).toBe('http://127.0.0.1:54321');
      expect(ok.code).not.toBeNull();
      const exchanged = await postForm(t.server, '/oauth/token', {
        grant_type: 'authorization_code',
        code: ok.code ?? '',
        code_verifier: ok.pkce.verifier,
        redirect_uri: uri,
        client_id: CLI.id,
      });
      expect(exchanged.status).toBe(200);
      // `localhost` is not an IP literal: exact match, port included.
      for (const other of [
        'http://localhost:5174/cli/callback',
        'http://127.0.0.1:54321/cli/callback/',
        'http://127.0.0.2/cli/callback',
      ]) {
        const res = track(
          await request(t.server).get(
            `/oauth/authorize?${authorizeQuery(pkce().challenge, { redirect_uri: other, scope: 'notes:read' }, CLI)}`,
          ),
        );
        expectOAuthError(res, 400, 'invalid_request');
        expect(res.headers.location).toBeUndefined();
      }
    });

    it('refuses another loopback port for a web client (the SPA): no code leaves for a local listener', async () => {
      for (const other of [
        'http://127.0.0.1:54321/callback',
        'http://[::1]/callback',
        'http://localhost:5174/callback',
      ]) {
        const res = track(
          await request(t.server).get(`/oauth/authorize?${authorizeQuery(pkce().challenge, { redirect_uri: other })}`),
        );
        expectOAuthError(res, 400, 'invalid_request');
        expect(res.headers.location).toBeUndefined();
      }
      // Its registered loopback URI, exactly, still works.
      const ok = await authorize(t.server, { redirect_uri: SPA.redirectUri });
      expect(ok.code).not.toBeNull();
    });

    it('refuses a redirect URI differing by one character, without redirecting', async () => {
      for (const uri of [
        'http://127.0.0.1/callbacK',
        'http://localhost:5173/callbac',
        'http://localhost:5173/callback?x=1',
      ]) {
        const res = track(
          await request(t.server).get(`/oauth/authorize?${authorizeQuery(pkce().challenge, { redirect_uri: uri })}`),
        );
        expectOAuthError(res, 400, 'invalid_request');
        expect(res.headers.location).toBeUndefined();
      }
    });

    it('refuses an unknown client at the authorization endpoint without redirecting', async () => {
      const res = track(
        await request(t.server).get(`/oauth/authorize?${authorizeQuery(pkce().challenge, { client_id: 'evil' })}`),
      );
      expectOAuthError(res, 400, 'invalid_request');
      expect(res.headers.location).toBeUndefined();
    });

    it('refuses a missing PKCE challenge, the plain method and a missing method, on the redirect with state and iss', async () => {
      const challenge = pkce().challenge;
      for (const overrides of [
        { code_challenge: undefined, code_challenge_method: undefined },
        { code_challenge_method: 'plain' },
        { code_challenge_method: undefined },
        { code_challenge: 'short' },
      ]) {
        const res = track(await request(t.server).get(`/oauth/authorize?${authorizeQuery(challenge, overrides)}`));
        const location = expectErrorRedirect(res, 'invalid_request');
        expect(location.searchParams.get('state')).toBe('state-123');
      }
    });

    it('refuses the implicit flow, unknown scopes and unknown resources', async () => {
      const challenge = pkce().challenge;
      expectErrorRedirect(
        track(await request(t.server).get(`/oauth/authorize?${authorizeQuery(challenge, { response_type: 'token' })}`)),
        'unsupported_response_type',
      );
      expectErrorRedirect(
        track(await request(t.server).get(`/oauth/authorize?${authorizeQuery(challenge, { scope: 'admin:all' })}`)),
        'invalid_scope',
      );
      expectErrorRedirect(
        track(
          await request(t.server).get(
            `/oauth/authorize?${authorizeQuery(challenge, { resource: 'https://other.example' })}`,
          ),
        ),
        'invalid_target',
      );
    });

    it('refuses duplicated parameters', async () => {
      const base = authorizeQuery(pkce().challenge);
      // The redirect URI itself is in doubt: nothing is redirected.
      const uri = track(
        await request(t.server).get(
          `/oauth/authorize?${base}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`,
        ),
      );
      expectOAuthError(uri, 400, 'invalid_request');
      expect(uri.headers.location).toBeUndefined();
      const client = track(await request(t.server).get(`/oauth/authorize?${base}&client_id=demo-backend`));
      expectOAuthError(client, 400, 'invalid_request');
      const state = track(await request(t.server).get(`/oauth/authorize?${base}&state=other`));
      expect(expectErrorRedirect(state, 'invalid_request').searchParams.get('state')).toBeNull();
      const scope = track(await request(t.server).get(`/oauth/authorize?${base}&scope=notes:write`));
      expectErrorRedirect(scope, 'invalid_request');

      const { code, pkce: codes } = await authorize(t.server);
      const body = `grant_type=authorization_code&code=${code}&code=${code}&code_verifier=${codes.verifier}&client_id=${SPA.id}&redirect_uri=${encodeURIComponent(SPA.redirectUri)}`;
      const token = track(await request(t.server).post('/oauth/token').type('form').send(body));
      expectOAuthError(token, 400, 'invalid_request');
    });

    it('refuses a wrong code_verifier without burning the code', async () => {
      const { code, pkce: codes } = await authorize(t.server);
      expectOAuthError(track(await exchange(t.server, code ?? '', pkce().verifier)), 400, 'invalid_grant');
      expectOAuthError(track(await exchange(t.server, code ?? '', 'x')), 400, 'invalid_grant');
      const missing = track(
        await postForm(t.server, '/oauth/token', {
          grant_type: 'authorization_code',
          code: code ?? '',
          redirect_uri: SPA.redirectUri,
          client_id: SPA.id,
        }),
      );
      expectOAuthError(missing, 400, 'invalid_grant');
      expect((await exchange(t.server, code ?? '', codes.verifier)).status).toBe(200);
    });

    it('refuses a redirect_uri at the token endpoint differing from the authorization request', async () => {
      const { code, pkce: codes } = await authorize(t.server);
      const res = track(
        await exchange(t.server, code ?? '', codes.verifier, { redirect_uri: 'http://localhost:5173/callback' }),
      );
      expectOAuthError(res, 400, 'invalid_grant');
    });

    it('refuses a code of another client, and the code still works for its own', async () => {
      const { code, pkce: codes } = await authorize(t.server);
      const stolen = track(
        await postForm(
          t.server,
          '/oauth/token',
          {
            grant_type: 'authorization_code',
            code: code ?? '',
            code_verifier: codes.verifier,
            redirect_uri: SPA.redirectUri,
          },
          basic(BACKEND.id, BACKEND.secret),
        ),
      );
      expectOAuthError(stolen, 400, 'invalid_grant');
      expect((await exchange(t.server, code ?? '', codes.verifier)).status).toBe(200);
    });

    it('answers a replayed code with invalid_grant and revokes every token of the first exchange', async () => {
      const { code, pkce: codes } = await authorize(t.server);
      const first = await exchange(t.server, code ?? '', codes.verifier);
      expect(first.status).toBe(200);
      expect((await notes(first.body.access_token as string)).status).toBe(200);

      const replay = track(await exchange(t.server, code ?? '', codes.verifier));
      expectOAuthError(replay, 400, 'invalid_grant');
      // The resource-server guard refuses the access token, the refresh token is dead.
      expect((await notes(first.body.access_token as string)).status).toBe(401);
      const refresh = track(
        await postForm(t.server, '/oauth/token', {
          grant_type: 'refresh_token',
          refresh_token: first.body.refresh_token as string,
          client_id: SPA.id,
        }),
      );
      expectOAuthError(refresh, 400, 'invalid_grant');
      expect(events.some((e) => e.type === 'token.reuse_detected' && e.reason === 'authorization_code_replay')).toBe(
        true,
      );
    });

    it('revokes nothing on a replay with a wrong verifier', async () => {
      const { code, pkce: codes } = await authorize(t.server);
      const first = await exchange(t.server, code ?? '', codes.verifier);
      expect(first.status).toBe(200);
      expectOAuthError(track(await exchange(t.server, code ?? '', pkce().verifier)), 400, 'invalid_grant');
      expect((await notes(first.body.access_token as string)).status).toBe(200);
      const refresh = await postForm(t.server, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: first.body.refresh_token as string,
        client_id: SPA.id,
      });
      expect(refresh.status).toBe(200);
    });

    it('gives exactly one token response to 20 parallel exchanges of one code', async () => {
      const { code, pkce: codes } = await authorize(t.server);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => exchange(t.server, code ?? '', codes.verifier)),
      );
      responses.forEach(track);
      expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
      for (const res of responses.filter((r) => r.status !== 200)) expectOAuthError(res, 400, 'invalid_grant');
    });

    it('refuses an expired code', async () => {
      const short = await startApp(
        platform,
        config({ ...overrides, oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000, codeTtlSeconds: 1 } }),
      );
      try {
        const { code, pkce: codes } = await authorize(short.server);
        await new Promise((resolve) => setTimeout(resolve, 1100));
        expectOAuthError(track(await exchange(short.server, code ?? '', codes.verifier)), 400, 'invalid_grant');
      } finally {
        await short.close();
      }
    });
  });

  describe('refresh tokens', () => {
    it('rotates on every use; reuse of a rotated token revokes the whole family', async () => {
      const first = await tokensOf();
      const refresh = (token: string, client = SPA.id): Promise<request.Response> =>
        postForm(t.server, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token, client_id: client });

      const second = await refresh(first.refresh_token);
      expect(second.status).toBe(200);
      expect(second.headers['cache-control']).toBe('no-store');
      expect(second.body.refresh_token).not.toBe(first.refresh_token);
      expect((await notes(second.body.access_token as string)).status).toBe(200);

      // The rotated-out token comes back: stolen. The family goes, access tokens included.
      expectOAuthError(track(await refresh(first.refresh_token)), 400, 'invalid_grant');
      expectOAuthError(track(await refresh(second.body.refresh_token as string)), 400, 'invalid_grant');
      expect((await notes(second.body.access_token as string)).status).toBe(401);
      expect(events.some((e) => e.type === 'token.reuse_detected' && e.reason === 'refresh_token_reuse')).toBe(true);
      expect(JSON.stringify(events)).not.toContain(first.refresh_token.split('.')[0]);
    });

    it('answers a forged token naming a real grant with invalid_grant and leaves the family working', async () => {
      const first = await tokensOf();
      const grantId = first.refresh_token.split('.')[0] ?? '';
      const refresh = (token: string): Promise<request.Response> =>
        postForm(t.server, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token, client_id: SPA.id });
      const forged = `${grantId}.${randomBytes(32).toString('base64url')}`;
      expectOAuthError(track(await refresh(forged)), 400, 'invalid_grant');
      expect(events.some((e) => e.type === 'token.reuse_detected')).toBe(false);
      expect((await notes(first.access_token)).status).toBe(200);
      const second = await refresh(first.refresh_token);
      expect(second.status).toBe(200);
      // The grant id appears in no event: whoever reads the log cannot aim at a family.
      expect(JSON.stringify(events)).not.toContain(grantId);
      expect(t.logs.lines.join('\n')).not.toContain(grantId);
    });

    it('narrows the scope on refresh, never widens it', async () => {
      const first = await tokensOf('notes:read');
      const widened = track(
        await postForm(t.server, '/oauth/token', {
          grant_type: 'refresh_token',
          refresh_token: first.refresh_token,
          client_id: SPA.id,
          scope: 'notes:read notes:write',
        }),
      );
      expectOAuthError(widened, 400, 'invalid_scope');
    });

    it('is bound to its client', async () => {
      const first = await tokensOf();
      const res = track(
        await postForm(
          t.server,
          '/oauth/token',
          { grant_type: 'refresh_token', refresh_token: first.refresh_token },
          basic(BACKEND.id, BACKEND.secret),
        ),
      );
      expectOAuthError(res, 400, 'invalid_grant');
    });
  });

  describe('client authentication', () => {
    it('answers an unknown client and a bad secret with 401 invalid_client', async () => {
      const form = { grant_type: 'client_credentials' };
      for (const res of [
        await postForm(t.server, '/oauth/token', form, basic('nobody', BACKEND.secret)),
        await postForm(t.server, '/oauth/token', form, basic(BACKEND.id, `${BACKEND.secret}x`)),
        await postForm(t.server, '/oauth/token', { ...form, client_id: BACKEND.id, client_secret: 'wrong' }),
        await postForm(t.server, '/oauth/token', { ...form, client_id: BACKEND.id }),
        await postForm(t.server, '/oauth/token', { ...form, client_id: 'nobody' }),
        await postForm(t.server, '/oauth/token', form, 'Basic !!!'),
      ]) {
        track(res);
        expectOAuthError(res, 401, 'invalid_client');
        expect(res.headers['www-authenticate']).toMatch(/^Basic /);
        expect(res.body.error_description).toBe('Client authentication failed.');
      }
    });

    it('accepts client_secret_basic and client_secret_post, not both at once', async () => {
      const viaBasic = await postForm(
        t.server,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        basic(BACKEND.id, BACKEND.secret),
      );
      expect(viaBasic.status).toBe(200);
      const { payload } = await jwtVerify(
        viaBasic.body.access_token as string,
        createLocalJWKSet((await request(t.server).get('/.well-known/jwks.json')).body),
        { issuer: ISSUER, audience: AUDIENCE },
      );
      // The client's own token: `sub` in the client namespace, never mistaken for a user id.
      expect(payload).toMatchObject({ sub: `client:${BACKEND.id}`, client_id: BACKEND.id, scope: 'notes:read' });
      expect(viaBasic.body.refresh_token).toBeUndefined();
      const viaPost = await postForm(t.server, '/oauth/token', {
        grant_type: 'client_credentials',
        client_id: BACKEND.id,
        client_secret: BACKEND.secret,
        scope: 'notes:write',
      });
      expect(viaPost.status).toBe(200);
      expect(viaPost.body.scope).toBe('notes:write');
      const both = track(
        await postForm(
          t.server,
          '/oauth/token',
          { grant_type: 'client_credentials', client_secret: BACKEND.secret },
          basic(BACKEND.id, BACKEND.secret),
        ),
      );
      expectOAuthError(both, 400, 'invalid_request');
    });

    it('refuses grants a client may not use, and grants that do not exist', async () => {
      const spa = track(
        await postForm(t.server, '/oauth/token', { grant_type: 'client_credentials', client_id: SPA.id }),
      );
      expectOAuthError(spa, 400, 'unauthorized_client');
      const password = track(
        await postForm(t.server, '/oauth/token', {
          grant_type: 'password',
          username: 'alice@acme.test',
          password: 'alice-password',
          client_id: SPA.id,
        }),
      );
      expectOAuthError(password, 400, 'unsupported_grant_type');
      const none = track(await postForm(t.server, '/oauth/token', { client_id: SPA.id }));
      expectOAuthError(none, 400, 'invalid_request');
    });

    it('takes form bodies only at the token endpoint', async () => {
      const res = track(await request(t.server).post('/oauth/token').send({ grant_type: 'client_credentials' }));
      expect(res.status).toBe(415);
    });
  });

  describe('revocation (RFC 7009)', () => {
    it('revokes an access token: the resource-server guard refuses it from then on', async () => {
      const tokens = await tokensOf();
      expect((await notes(tokens.access_token)).status).toBe(200);
      const res = await postForm(t.server, '/oauth/revoke', { token: tokens.access_token, client_id: SPA.id });
      expect(res.status).toBe(200);
      expect((await notes(tokens.access_token)).status).toBe(401);
      expect(events.some((e) => e.type === 'token.revoked')).toBe(true);
    });

    it('revokes a refresh token with its grant', async () => {
      const tokens = await tokensOf();
      const res = await postForm(t.server, '/oauth/revoke', {
        token: tokens.refresh_token,
        token_type_hint: 'refresh_token',
        client_id: SPA.id,
      });
      expect(res.status).toBe(200);
      const refresh = track(
        await postForm(t.server, '/oauth/token', {
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          client_id: SPA.id,
        }),
      );
      expectOAuthError(refresh, 400, 'invalid_grant');
      expect((await notes(tokens.access_token)).status).toBe(401);
    });

    it('answers 200 to unknown tokens; refuses tokens of other clients (RFC 7009 §2.1), which stay valid', async () => {
      const tokens = await tokensOf();
      expect((await postForm(t.server, '/oauth/revoke', { token: 'garbage', client_id: SPA.id })).status).toBe(200);
      for (const token of [tokens.access_token, tokens.refresh_token]) {
        const other = track(await postForm(t.server, '/oauth/revoke', { token }, basic(BACKEND.id, BACKEND.secret)));
        expectOAuthError(other, 400, 'unauthorized_client');
      }
      expect((await notes(tokens.access_token)).status).toBe(200);
      const refreshed = await postForm(t.server, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: SPA.id,
      });
      expect(refreshed.status).toBe(200);
      expectOAuthError(
        track(await postForm(t.server, '/oauth/revoke', { token: tokens.access_token })),
        401,
        'invalid_client',
      );
    });
  });

  describe('introspection (RFC 7662)', () => {
    it('tells an authenticated resource server whether a token is active', async () => {
      const tokens = await tokensOf();
      const auth = basic(BACKEND.id, BACKEND.secret);
      const active = await postForm(t.server, '/oauth/introspect', { token: tokens.access_token }, auth);
      expect(active.status).toBe(200);
      expect(active.headers['cache-control']).toBe('no-store');
      expect(active.body).toMatchObject({
        active: true,
        client_id: SPA.id,
        sub: 'u-alice',
        scope: 'notes:read profile',
        iss: ISSUER,
        aud: AUDIENCE,
      });
      const refresh = await postForm(t.server, '/oauth/introspect', { token: tokens.refresh_token }, auth);
      expect(refresh.body).toMatchObject({ active: true, token_type: 'refresh_token', client_id: SPA.id });

      await postForm(t.server, '/oauth/revoke', { token: tokens.access_token, client_id: SPA.id });
      expect((await postForm(t.server, '/oauth/introspect', { token: tokens.access_token }, auth)).body).toEqual({
        active: false,
      });
      expect((await postForm(t.server, '/oauth/introspect', { token: 'garbage' }, auth)).body).toEqual({
        active: false,
      });
    });

    it('refuses unauthenticated and public callers', async () => {
      const tokens = await tokensOf();
      expectOAuthError(
        track(await postForm(t.server, '/oauth/introspect', { token: tokens.access_token })),
        401,
        'invalid_client',
      );
      expectOAuthError(
        track(await postForm(t.server, '/oauth/introspect', { token: tokens.access_token, client_id: SPA.id })),
        401,
        'invalid_client',
      );
    });
  });

  describe('consent and the login form', () => {
    async function backendFlow(): Promise<{ consent: request.Response; cookie: string; returnTo: string }> {
      await t.app.get<Store>(RAMPART_STORE).delete('sample:consent:u-bob:demo-backend');
      const codes = pkce();
      const first = await request(t.server).get(`/oauth/authorize?${authorizeQuery(codes.challenge, {}, BACKEND)}`);
      const returnTo = new URL(first.headers.location as string, 'http://x').searchParams.get('return_to') ?? '';
      const { cookie, location } = await login(t.server, returnTo, 'bob@acme.test', 'bob-password');
      const toConsent = await request(t.server).get(location).set('Cookie', cookie);
      expect(toConsent.status).toBe(302);
      expect(toConsent.headers.location).toMatch(/^\/oauth\/consent\?return_to=/);
      const consent = await request(t.server)
        .get(toConsent.headers.location as string)
        .set('Cookie', cookie);
      return { consent, cookie, returnTo };
    }

    it('asks for consent for a third-party client, on a page that cannot be framed', async () => {
      const { consent, cookie, returnTo } = await backendFlow();
      expect(consent.status).toBe(200);
      expect(consent.text).toContain('Demo partner backend');
      expect(consent.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(consent.headers['x-frame-options']).toBe('DENY');
      const allow = await request(t.server)
        .post('/oauth/consent')
        .type('form')
        .set('Cookie', cookie)
        .send({ return_to: returnTo, decision: 'allow' });
      expect(allow.status).toBe(302);
      const back = await request(t.server)
        .get(allow.headers.location as string)
        .set('Cookie', cookie);
      const redirect = new URL(back.headers.location as string);
      expect(`${redirect.origin}${redirect.pathname}`).toBe(BACKEND.redirectUri);
      expect(redirect.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('answers a denial with access_denied on the redirect, with state and iss', async () => {
      const { cookie, returnTo } = await backendFlow();
      const deny = await request(t.server)
        .post('/oauth/consent')
        .type('form')
        .set('Cookie', cookie)
        .send({ return_to: returnTo, decision: 'deny' });
      const back = track(
        await request(t.server)
          .get(deny.headers.location as string)
          .set('Cookie', cookie),
      );
      const location = expectErrorRedirect(back, 'access_denied', BACKEND.redirectUri);
      expect(location.searchParams.get('state')).toBe('state-123');
    });

    it('refuses a wrong password, cross-site posts and redirects outside the authorization endpoint', async () => {
      const wrong = track(
        await request(t.server)
          .post('/oauth/login')
          .type('form')
          .send({ username: 'alice@acme.test', password: 'nope', return_to: '' }),
      );
      expect(wrong.status).toBe(401);
      expect(wrong.headers['set-cookie']).toBeUndefined();
      const crossSite = track(
        await request(t.server)
          .post('/oauth/login')
          .type('form')
          .set('Origin', 'https://evil.example')
          .send({ username: 'alice@acme.test', password: 'alice-password' }),
      );
      expect(crossSite.status).toBe(403);
      const open = await login(t.server, 'https://evil.example/phish');
      expect(open.location).toBe('/health');
    });
  });
}

describe.each(PLATFORMS)('OAuth 2.1 server on %s (memory store)', (platform) => {
  suite(platform, {});
});

describeWithRedis('OAuth 2.1 server with Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    suite(platform, { redisUrl });
  });
});

describe('OAuth token endpoint rate limit', () => {
  it('answers 429 past the per-IP limit', async () => {
    const t = await startApp('express', config({ oauth: { ...loadConfig({}).oauth, tokenPerMinute: 3 } }));
    try {
      const send = (): Promise<request.Response> =>
        postForm(t.server, '/oauth/token', { grant_type: 'client_credentials' }, basic(BACKEND.id, BACKEND.secret));
      for (let i = 0; i < 3; i++) expect((await send()).status).toBe(200);
      const limited = await send();
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBeDefined();
    } finally {
      await t.close();
    }
  });
});
