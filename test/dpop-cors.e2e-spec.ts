import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { ath, dpopKey, dpopProof } from './utils/dpop';
import { freshCodeForm } from './utils/oauth';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

// A browser SPA using DPoP must send the `DPoP` header cross-origin (a preflight allows it) and read
// `DPoP-Nonce` and `WWW-Authenticate` from the answers (Access-Control-Expose-Headers): without
// them it can neither sign the nonce nor tell why its token was refused. The sample's strict CORS
// (RampartModule `cors`, origins from CORS_ORIGINS) turns this on because AuthModule is installed.

const SPA_ORIGIN = 'http://localhost:5173';
const ISSUER = 'http://localhost:3000';
const TOKEN_URL = `${ISSUER}/oauth/token`;
const DPOP_SPA = { id: 'demo-dpop-spa', redirectUri: 'http://localhost:5173/callback' } as const;

/** Header list values, lower-cased, from a comma-separated header. */
function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
}

describe.each(PLATFORMS)('DPoP through strict CORS on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, {
      rateLimit: { perIpPerMinute: 0 },
      corsOrigins: [SPA_ORIGIN],
      oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000, dpopRequireNonce: true },
    });
  });
  afterAll(() => t.close());

  function preflight(path: string, origin: string, headers: string): request.Test {
    return request(t.server)
      .options(path)
      .set('Origin', origin)
      .set('Access-Control-Request-Method', path === '/notes' ? 'GET' : 'POST')
      .set('Access-Control-Request-Headers', headers);
  }

  it.each(['/oauth/token', '/oauth/par', '/notes'])('allows the DPoP header in a preflight to %s', async (path) => {
    const res = await preflight(path, SPA_ORIGIN, 'authorization,content-type,dpop');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(SPA_ORIGIN);
    expect(listOf(res.headers['access-control-allow-headers'])).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'dpop']),
    );
  });

  it('gives a preflight from an unlisted origin no CORS header, DPoP or not', async () => {
    const res = await preflight('/oauth/token', 'https://evil.example', 'dpop');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-headers']).toBeUndefined();
  });

  it('exposes DPoP-Nonce on a cross-origin token answer, and the challenge on a refused API call', async () => {
    const key = await dpopKey();
    const form = await freshCodeForm(t.server, DPOP_SPA);
    const tokenRequest = async (proof: string) =>
      request(t.server).post('/oauth/token').type('form').set('Origin', SPA_ORIGIN).set('DPoP', proof).send(form);

    // A proof without the nonce: 400 use_dpop_nonce, and the browser may read the nonce.
    const first = await tokenRequest(await dpopProof(key, 'POST', TOKEN_URL));
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    expect(first.headers['access-control-allow-origin']).toBe(SPA_ORIGIN);
    expect(listOf(first.headers['access-control-expose-headers'])).toEqual(
      expect.arrayContaining(['dpop-nonce', 'www-authenticate']),
    );
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toBeTruthy();

    const second = await tokenRequest(await dpopProof(key, 'POST', TOKEN_URL, { nonce }));
    expect(second.status).toBe(200);
    expect(second.headers['access-control-allow-origin']).toBe(SPA_ORIGIN);
    expect(listOf(second.headers['access-control-expose-headers'])).toContain('dpop-nonce');

    // The bound token without a proof, cross-origin: 401, and the challenge is readable.
    const refused = await request(t.server)
      .get('/notes')
      .set('Origin', SPA_ORIGIN)
      .set('Authorization', `DPoP ${second.body.access_token as string}`);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/DPoP realm="api", error="invalid_dpop_proof"/);
    expect(refused.headers['access-control-allow-origin']).toBe(SPA_ORIGIN);
    expect(listOf(refused.headers['access-control-expose-headers'])).toContain('www-authenticate');

    // The API asks for its nonce (RFC 9449 §9) cross-origin: readable, signed, accepted.
    const token = second.body.access_token as string;
    const callNotes = async (claims: Record<string, unknown>) =>
      request(t.server)
        .get('/notes')
        .set('Host', 'api.test')
        .set('Origin', SPA_ORIGIN)
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', await dpopProof(key, 'GET', 'http://api.test/notes', { ath: ath(token), ...claims }));
    const askNonce = await callNotes({});
    expect(askNonce.status).toBe(401);
    expect(askNonce.headers['www-authenticate']).toMatch(/DPoP realm="api", error="use_dpop_nonce"/);
    expect(listOf(askNonce.headers['access-control-expose-headers'])).toEqual(
      expect.arrayContaining(['dpop-nonce', 'www-authenticate']),
    );
    const apiNonce = askNonce.headers['dpop-nonce'] as string;
    expect(apiNonce).toBeTruthy();
    const ok = await callNotes({ nonce: apiNonce });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(SPA_ORIGIN);
  });
});
