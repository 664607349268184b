import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { BACKEND, basic, postForm } from './utils/oauth';
import { describeWithPrivateRedis, startPrivateRedis, type PrivateRedis } from './utils/private-redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

/** The form endpoints: whatever refuses a request to them, the client gets RFC 6749 §5.2 JSON. */
const ENDPOINTS = ['/oauth/token', '/oauth/revoke', '/oauth/introspect', '/oauth/par'] as const;
const SQLI = "1' UNION SELECT password FROM users--";
const OAUTH_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'temporarily_unavailable',
  'server_error',
];

/** Parses the answer as a standard OAuth client does: JSON with `error` (and `error_description`) only. */
function expectRfc6749Error(res: request.Response, status: number, error?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(Object.keys(body).every((key) => key === 'error' || key === 'error_description')).toBe(true);
  expect(OAUTH_ERRORS).toContain(body.error);
  if (error !== undefined) expect(body.error).toBe(error);
  if (body.error_description !== undefined) {
    // RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
    expect(body.error_description).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/);
  }
}

function config(overrides: TestConfig = {}): TestConfig {
  return { rateLimit: { perIpPerMinute: 0 }, oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000 }, ...overrides };
}

describe.each(PLATFORMS)('OAuth endpoints answer every refusal as RFC 6749 JSON (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, config({ threat: { mode: 'block' } }));
  });
  afterAll(() => t.close());

  it.each(ENDPOINTS)('%s: a JSON body (415, request limits)', async (path) => {
    const res = await request(t.server).post(path).send({ grant_type: 'client_credentials', token: 'x' });
    expectRfc6749Error(res, 415, 'invalid_request');
  });

  it.each(ENDPOINTS)('%s: a body over the size limit (413)', async (path) => {
    // Twenty fields of 1 000 characters: each within the parser's limits, 20 kB over the endpoints' 16 kB.
    const fields = Array.from({ length: 20 }, (_, i) => `f${i}=${'a'.repeat(1_000)}`).join('&');
    const res = await request(t.server).post(path).type('form').send(fields);
    expectRfc6749Error(res, 413, 'invalid_request');
  });

  it.each(ENDPOINTS)('%s: a string over the body parser limit (400)', async (path) => {
    const res = await request(t.server)
      .post(path)
      .type('form')
      .send(`token=${'a'.repeat(12_000)}`);
    expectRfc6749Error(res, 400, 'invalid_request');
  });

  it.each(ENDPOINTS)('%s: more fields than the body parser takes (400)', async (path) => {
    const fields = Array.from({ length: 2_000 }, (_, i) => `f${i}=1`).join('&');
    const res = await request(t.server).post(path).type('form').send(fields);
    expectRfc6749Error(res, 400, 'invalid_request');
  });

  it.each(ENDPOINTS)('%s: a threat block (403)', async (path) => {
    const res = await postForm(t.server, path, { token: 'x', note: SQLI }, basic(BACKEND.id, BACKEND.secret));
    expectRfc6749Error(res, 403, 'invalid_request');
  });

  it.each(ENDPOINTS)('%s: its own validation (a repeated parameter)', async (path) => {
    const res = await request(t.server)
      .post(path)
      .type('form')
      .set('Authorization', basic(BACKEND.id, BACKEND.secret))
      .send('token=a&token=b&grant_type=client_credentials&scope=a&scope=b');
    expectRfc6749Error(res, 400, 'invalid_request');
  });

  it('leaves every other route to problem+json', async () => {
    const res = await request(t.server).post('/notes').send('x'.repeat(10));
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe.each(PLATFORMS)('OAuth token endpoint rate limit (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, config({ oauth: { ...loadConfig({}).oauth, tokenPerMinute: 1 } }));
  });
  afterAll(() => t.close());

  it('answers 429 as RFC 6749 JSON with Retry-After', async () => {
    const send = (): request.Test =>
      postForm(t.server, '/oauth/token', { grant_type: 'client_credentials' }, basic(BACKEND.id, BACKEND.secret));
    expect((await send()).status).toBe(200);
    const limited = await send();
    expectRfc6749Error(limited, 429, 'temporarily_unavailable');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describeWithPrivateRedis('OAuth endpoints during a store outage', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    let redis: PrivateRedis;
    let t: TestApp;
    beforeAll(async () => {
      redis = await startPrivateRedis();
      t = await startApp(
        platform,
        config({ redisUrl: redis.url, rateLimit: { perIpPerMinute: 0, onStoreFailure: 'failClosed' } }),
      );
    }, 60_000);
    afterAll(async () => {
      redis.thaw();
      await t.close();
      await redis.stop();
    });

    it('answers 503 as RFC 6749 JSON with Retry-After, on every endpoint', async () => {
      redis.freeze();
      try {
        for (const path of ENDPOINTS) {
          // A refresh token's shape: each endpoint has to read (or, PAR, write) the Store.
          const token = `${'g'.repeat(22)}.${'s'.repeat(43)}`;
          const res = await postForm(
            t.server,
            path,
            {
              grant_type: 'refresh_token',
              refresh_token: token,
              token,
              // A valid pushed authorization request, so PAR gets as far as the Store too.
              response_type: 'code',
              redirect_uri: BACKEND.redirectUri,
              code_challenge: 'c'.repeat(43),
              code_challenge_method: 'S256',
            },
            basic(BACKEND.id, BACKEND.secret),
          );
          expectRfc6749Error(res, 503, 'temporarily_unavailable');
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        }
      } finally {
        redis.thaw();
      }
    }, 60_000);
  });
});
