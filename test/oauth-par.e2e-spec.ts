import request from 'supertest';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { BACKEND, SPA, basic, exchange, login, pkce, postForm, type Pkce } from './utils/oauth';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

const ISSUER = 'http://localhost:3000';

function config(overrides: TestConfig = {}, requirePar = false): TestConfig {
  return {
    rateLimit: { perIpPerMinute: 0 },
    oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000, requirePushedAuthorizationRequests: requirePar },
    ...overrides,
  };
}

/** The SPA's authorization parameters, pushed to the PAR endpoint (RFC 9126 §2.1). */
function pushedForm(codes: Pkce, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: SPA.id,
    response_type: 'code',
    redirect_uri: SPA.redirectUri,
    code_challenge: codes.challenge,
    code_challenge_method: 'S256',
    scope: 'notes:read',
    state: 'par-state',
    ...overrides,
  };
}

/** GET /oauth/authorize with `query`, signing in on the way: the final redirect. */
async function followAuthorize(server: Server, query: string): Promise<request.Response> {
  const first = await request(server).get(`/oauth/authorize?${query}`);
  const location = first.headers.location;
  if (first.status !== 302 || !location?.startsWith('/oauth/login')) return first;
  const returnTo = new URL(location, 'http://x').searchParams.get('return_to') ?? '';
  const { cookie, location: back } = await login(server, returnTo);
  return request(server).get(back).set('Cookie', cookie);
}

function suite(platform: (typeof PLATFORMS)[number], overrides: TestConfig): void {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, config(overrides));
  });
  afterAll(() => t.close());

  it('publishes the PAR endpoint and the iss response parameter in the metadata (RFC 8414)', async () => {
    const res = await request(t.server).get('/.well-known/oauth-authorization-server');
    expect(res.body).toMatchObject({
      pushed_authorization_request_endpoint: `${ISSUER}/oauth/par`,
      require_pushed_authorization_requests: false,
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('runs a pushed request to a code with iss (RFC 9207); the request_uri is single use', async () => {
    const codes = pkce();
    const pushed = await postForm(t.server, '/oauth/par', pushedForm(codes));
    expect(pushed.status).toBe(201);
    expect(pushed.headers['cache-control']).toBe('no-store');
    expect(pushed.body.expires_in).toBe(60);
    const requestUri = pushed.body.request_uri as string;
    expect(requestUri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);

    // Parameters outside the pushed request are ignored (RFC 9126 §4): not another redirect URI, not more scope.
    const query = new URLSearchParams({
      client_id: SPA.id,
      request_uri: requestUri,
      redirect_uri: 'https://evil.example/cb',
      scope: 'notes:write',
    });
    const done = await followAuthorize(t.server, query.toString());
    expect(done.status).toBe(302);
    const callback = new URL(done.headers.location as string);
    expect(`${callback.origin}${callback.pathname}`).toBe(SPA.redirectUri);
    expect(callback.searchParams.get('state')).toBe('par-state');
    expect(callback.searchParams.get('iss')).toBe(ISSUER);
    const tokens = await exchange(t.server, callback.searchParams.get('code') ?? '', codes.verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope).toBe('notes:read');

    const again = await request(t.server).get(`/oauth/authorize?${query.toString()}`);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_request');
    expect(again.headers.location).toBeUndefined();
  });

  it("refuses a request_uri spent by another client, a made-up one, and one with another client's id", async () => {
    const pushed = await postForm(
      t.server,
      '/oauth/par',
      pushedForm(pkce(), { client_id: BACKEND.id, redirect_uri: BACKEND.redirectUri }),
      basic(BACKEND.id, BACKEND.secret),
    );
    expect(pushed.status).toBe(201);
    for (const query of [
      { client_id: SPA.id, request_uri: pushed.body.request_uri as string },
      { client_id: SPA.id, request_uri: `urn:ietf:params:oauth:request_uri:${'A'.repeat(43)}` },
      { client_id: SPA.id, request_uri: 'https://evil.example/request' },
    ]) {
      const res = await request(t.server).get(`/oauth/authorize?${new URLSearchParams(query).toString()}`);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.headers.location).toBeUndefined();
    }
  });

  it('authenticates the pushing client and validates what it pushes, answering RFC 6749 JSON', async () => {
    const codes = pkce();
    const cases: [Record<string, string>, string | undefined, number, string][] = [
      [
        pushedForm(codes, { client_id: BACKEND.id }),
        basic(BACKEND.id, 'wrong-secret-wrong-secret-wrong-secret'),
        401,
        'invalid_client',
      ],
      [pushedForm(codes, { client_id: 'nobody' }), undefined, 401, 'invalid_client'],
      [pushedForm(codes, { redirect_uri: 'http://127.0.0.1:9999/callback' }), undefined, 400, 'invalid_request'],
      [pushedForm(codes, { code_challenge_method: 'plain' }), undefined, 400, 'invalid_request'],
      [pushedForm(codes, { scope: 'admin:all' }), undefined, 400, 'invalid_scope'],
      [pushedForm(codes, { request_uri: 'urn:ietf:params:oauth:request_uri:x' }), undefined, 400, 'invalid_request'],
    ];
    for (const [form, authorization, status, error] of cases) {
      const res = await postForm(t.server, '/oauth/par', form, authorization);
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.error).toBe(error);
    }
  });
}

describe.each(PLATFORMS)('PAR (RFC 9126) on %s (memory store)', (platform) => {
  suite(platform, {});
});

describeWithRedis('PAR (RFC 9126) with Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    suite(platform, { redisUrl });
  });
});

describe.each(PLATFORMS)('PAR required server-wide (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, config({}, true));
  });
  afterAll(() => t.close());

  it('refuses an authorization request that was not pushed, and takes one that was', async () => {
    const metadata = await request(t.server).get('/.well-known/oauth-authorization-server');
    expect(metadata.body.require_pushed_authorization_requests).toBe(true);
    const codes = pkce();
    const direct = await request(t.server).get(`/oauth/authorize?${new URLSearchParams(pushedForm(codes)).toString()}`);
    expect(direct.status).toBe(302);
    const refused = new URL(direct.headers.location as string);
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    expect(refused.searchParams.get('code')).toBeNull();

    const pushed = await postForm(t.server, '/oauth/par', pushedForm(codes));
    expect(pushed.status).toBe(201);
    const done = await followAuthorize(
      t.server,
      new URLSearchParams({ client_id: SPA.id, request_uri: pushed.body.request_uri as string }).toString(),
    );
    expect(new URL(done.headers.location as string).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
