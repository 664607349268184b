import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { BACKEND, SPA, authorize, authorizeQuery, basic, exchange, login, pkce, postForm } from './utils/oauth';
import { describeWithPrivateRedis, startPrivateRedis, type PrivateRedis } from './utils/private-redis';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

/**
 * Every route that needs the store answers a Redis outage with 503 and Retry-After, never a 500
 * and never a hang: problem+json on the application's routes, the RFC 6749 error JSON
 * (`temporarily_unavailable`) on the OAuth server's. The store's command timeout is 1 s (core's
 * default); a frozen Redis must be answered soon after it, a killed one at once. The bound is
 * generous because the machine running the suite is shared.
 */
const DEADLINE_MS = 4_000;

interface Fixtures {
  accessToken: string;
  refreshToken: string;
  /** A signed-in user's session cookie. */
  cookie: string;
  /** The login form's `return_to` of a pending authorization request. */
  returnTo: string;
}

type Shape = 'problem' | 'oauth';

const ROUTES: readonly { name: string; shape: Shape; send(t: TestApp, f: Fixtures): request.Test }[] = [
  {
    name: 'token endpoint (refresh grant)',
    shape: 'oauth',
    send: (t, f) =>
      postForm(t.server, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: f.refreshToken,
        client_id: SPA.id,
      }),
  },
  {
    name: 'introspection of an access token',
    shape: 'oauth',
    send: (t, f) =>
      postForm(t.server, '/oauth/introspect', { token: f.accessToken }, basic(BACKEND.id, BACKEND.secret)),
  },
  {
    name: 'revocation of an access token',
    shape: 'oauth',
    send: (t, f) => postForm(t.server, '/oauth/revoke', { token: f.accessToken, client_id: SPA.id }),
  },
  {
    name: 'authorize for a signed-in user',
    shape: 'oauth',
    send: (t, f) =>
      request(t.server)
        .get(`/oauth/authorize?${authorizeQuery(pkce().challenge)}`)
        .set('Cookie', f.cookie),
  },
  {
    name: 'successful login',
    shape: 'problem',
    send: (t, f) =>
      request(t.server)
        .post('/oauth/login')
        .type('form')
        .send({ username: 'alice@acme.test', password: 'alice-password', return_to: f.returnTo }),
  },
  {
    name: 'failed login (a guess the throttle cannot count is refused)',
    shape: 'problem',
    send: (t, f) =>
      request(t.server)
        .post('/oauth/login')
        .type('form')
        .send({ username: 'alice@acme.test', password: 'wrong-password', return_to: f.returnTo }),
  },
  {
    name: 'consent page (session and pending request)',
    shape: 'problem',
    send: (t, f) =>
      request(t.server)
        .get(`/oauth/consent?return_to=${encodeURIComponent(f.returnTo)}`)
        .set('Cookie', f.cookie),
  },
  {
    name: 'API route with a bearer token (revocation list)',
    shape: 'problem',
    send: (t, f) => request(t.server).get('/notes').set('Authorization', `Bearer ${f.accessToken}`),
  },
];

function expectUnavailable(res: request.Response, shape: Shape): void {
  expect(res.status, res.text).toBe(503);
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  if (shape === 'oauth') {
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
  } else {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  }
}

describeWithPrivateRedis('Store outage: every store-backed route answers 503 with Retry-After', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    describe.each(['frozen', 'killed'] as const)('with Redis %s', (outage) => {
      let redis: PrivateRedis;
      let t: TestApp;
      const fixtures = {} as Fixtures;

      beforeAll(async () => {
        redis = await startPrivateRedis();
        t = await startApp(platform, {
          redisUrl: redis.url,
          rateLimit: { perIpPerMinute: 0 },
          oauth: { ...loadConfig({}).oauth, tokenPerMinute: 1_000 },
        });
        const { code, pkce: codes } = await authorize(t.server);
        const tokens = await exchange(t.server, code ?? '', codes.verifier).expect(200);
        fixtures.accessToken = tokens.body.access_token as string;
        fixtures.refreshToken = tokens.body.refresh_token as string;
        const pending = await request(t.server)
          .get(`/oauth/authorize?${authorizeQuery(pkce().challenge, {}, BACKEND)}`)
          .expect(302);
        fixtures.returnTo = new URL(pending.headers.location as string, 'http://x').searchParams.get('return_to') ?? '';
        fixtures.cookie = (await login(t.server, fixtures.returnTo)).cookie;
        if (outage === 'frozen') redis.freeze();
        else await redis.stop();
      });
      afterAll(async () => {
        await t.close();
        if (outage === 'frozen') await redis.stop();
      });

      it.each(ROUTES)('$name', async (route) => {
        const started = Date.now();
        const res = await route.send(t, fixtures);
        expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
        expectUnavailable(res, route.shape);
      });

      it('still answers routes that do not need the store', async () => {
        await request(t.server).get('/health').expect(200);
      });
    });
  });
});
