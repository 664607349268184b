import { importJWK, SignJWT, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { DEMO_PARTNER_PRIVATE_JWK } from '../apps/sample-api/src/oauth/demo-client-keys';
import { dpopKey, dpopProof } from './utils/dpop';
import { BACKEND, basic, postForm } from './utils/oauth';
import { describeWithPrivateRedis, startPrivateRedis, type PrivateRedis } from './utils/private-redis';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

/**
 * The client-credentials grant during a frozen Redis. Whatever needs the Store to be safe answers
 * 503 `temporarily_unavailable` with Retry-After (RFC 6749 JSON), never a 200 that skipped a
 * check: a `private_key_jwt` assertion's `jti` (RFC 7523 §3 replay cache) and a DPoP proof's `jti`
 * (RFC 9449 §11.1) must be remembered before a token is issued. A `client_secret_basic` request
 * needs no Store (the secret is checked against the registry, the token is a signed JWT) and is
 * still served: availability where nothing is skipped.
 */
const TOKEN_URL = 'http://localhost:3000/oauth/token';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The Store's command timeout is 1 s; generous for a shared machine. */
const DEADLINE_MS = 4_000;

function expectUnavailable(res: request.Response): void {
  expect(res.status, res.text).toBe(503);
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
}

describeWithPrivateRedis('client credentials during a frozen Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    let redis: PrivateRedis;
    let t: TestApp;
    let partnerKey: CryptoKey;

    beforeAll(async () => {
      partnerKey = (await importJWK(DEMO_PARTNER_PRIVATE_JWK, 'ES256')) as CryptoKey;
      redis = await startPrivateRedis();
      t = await startApp(platform, {
        redisUrl: redis.url,
        rateLimit: { perIpPerMinute: 0 },
        oauth: { ...loadConfig({}).oauth, tokenPerMinute: 1_000 },
      });
      // Up before the outage: the same requests are served.
      expect((await assertionRequest()).status).toBe(200);
      redis.freeze();
    });
    afterAll(async () => {
      await t.close();
      await redis.stop();
    });

    async function assertionRequest(): Promise<request.Response> {
      const now = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({
        iss: 'demo-partner',
        sub: 'demo-partner',
        aud: 'http://localhost:3000',
        jti: randomUUID(),
        iat: now,
        exp: now + 60,
      })
        .setProtectedHeader({ alg: 'ES256', kid: DEMO_PARTNER_PRIVATE_JWK.kid })
        .sign(partnerKey);
      return postForm(t.server, '/oauth/token', {
        grant_type: 'client_credentials',
        scope: 'notes:read',
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion,
      });
    }

    async function timed(send: () => Promise<request.Response>): Promise<request.Response> {
      const started = Date.now();
      const res = await send();
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
      return res;
    }

    it('answers private_key_jwt 503: the assertion jti cannot be remembered, so it is not accepted', async () => {
      expectUnavailable(await timed(assertionRequest));
    });

    it('answers a DPoP-bound request 503: the proof jti cannot be remembered', async () => {
      const key = await dpopKey();
      const res = await timed(async () =>
        request(t.server)
          .post('/oauth/token')
          .type('form')
          .set('Authorization', basic(BACKEND.id, BACKEND.secret))
          .set('DPoP', await dpopProof(key, 'POST', TOKEN_URL))
          .send({ grant_type: 'client_credentials', scope: 'notes:read' }),
      );
      expectUnavailable(res);
    });

    it('serves client_secret_basic without DPoP: nothing in that path needs the Store', async () => {
      const res = await timed(() =>
        postForm(
          t.server,
          '/oauth/token',
          { grant_type: 'client_credentials', scope: 'notes:read' },
          basic(BACKEND.id, BACKEND.secret),
        ),
      );
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('Bearer');
      // ...but the token is of no use until the Store is back: the API checks the revocation list.
      const api = await timed(() =>
        request(t.server)
          .get('/notes')
          .set('Authorization', `Bearer ${res.body.access_token as string}`),
      );
      expect(api.status).toBe(503);
      expect(api.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    });
  });
});
