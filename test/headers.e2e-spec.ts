import { Controller, Get } from '@nestjs/common';
import { Public } from '@rampart/auth';
import { SecurityHeaders } from '@rampart/headers';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from './utils/auth';
import { PLATFORMS, ProbeController, startApp, type TestApp } from './utils/test-app';

/** The API preset, header by header (names lower-case, as Node reports them). */
const PRESET: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
  'x-xss-protection': '0',
  'cross-origin-opener-policy': 'same-origin',
  'x-dns-prefetch-control': 'off',
  'x-permitted-cross-domain-policies': 'none',
  'x-download-options': 'noopen',
  'origin-agent-cluster': '?1',
};

@Controller('test/headers')
@Public()
class HeaderOverridesController {
  @Get('cacheable')
  @SecurityHeaders({ cacheControl: 'public, max-age=300', crossOriginResourcePolicy: 'cross-origin' })
  cacheable(): { ok: true } {
    return { ok: true };
  }
}

describe.each(PLATFORMS)('security headers (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, { corsOrigins: ['https://app.example.com'] }, [
      ProbeController,
      HeaderOverridesController,
    ]);
  });
  afterAll(() => t.close());

  it.each([
    ['a 2xx', 'get', '/health', 200],
    ['a 4xx from a handler', 'get', '/notes/00000000-0000-0000-0000-000000000000', 404],
    ['an unknown route', 'get', '/no-such-route', 404],
    ['a parse error', 'post', '/notes', 400],
    ['a 5xx', 'get', '/test/crash', 500],
  ] as const)('sets the whole preset on %s', async (_label, method, path, status) => {
    // A signed-in caller: the 4xx from a handler is its 404, not the guard's 401.
    const auth = await bearer(t.app);
    const req = request(t.server)[method](path).set(auth);
    const res = method === 'post' ? await req.set('Content-Type', 'application/json').send('{') : await req;
    expect(res.status).toBe(status);
    for (const [name, value] of Object.entries(PRESET)) expect(res.headers[name], name).toBe(value);
    expect(res.headers['permissions-policy']).toMatch(/camera=\(\).*geolocation=\(\).*microphone=\(\)/);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('lets a route override headers with @SecurityHeaders()', async () => {
    const res = await request(t.server).get('/test/headers/cacheable');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('echoes a safe incoming request id and replaces an unsafe one', async () => {
    const safe = await request(t.server).get('/health').set('X-Request-Id', 'trace-42.a:b');
    expect(safe.headers['x-request-id']).toBe('trace-42.a:b');
    const forged = await request(t.server).get('/health').set('X-Request-Id', '"} {"level":"error","forged":true');
    expect(forged.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const long = await request(t.server).get('/health').set('X-Request-Id', 'a'.repeat(65));
    expect(long.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe('CORS', () => {
    it('allows a listed origin and exposes the request id', async () => {
      const res = await request(t.server).get('/health').set('Origin', 'https://app.example.com');
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it.each(['https://evil.example', 'https://app.example.com.evil.net', 'null'])(
      'gives no CORS header to %s',
      async (origin) => {
        const res = await request(t.server).get('/health').set('Origin', origin);
        expect(res.status).toBe(200);
        expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      },
    );

    it('answers a preflight from a listed origin', async () => {
      const res = await request(t.server)
        .options('/notes')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(res.headers['access-control-allow-methods']).toContain('POST');
      expect(res.headers['access-control-max-age']).toBe('600');
    });

    it('gives a preflight from another origin no CORS header', async () => {
      const res = await request(t.server)
        .options('/notes')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'DELETE');
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });
  });
});

describe.each(PLATFORMS)('HTTPS redirect (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, { httpsRedirect: true, publicHost: 'api.example.com', trustedProxies: ['loopback'] });
  });
  afterAll(() => t.close());

  it('redirects GET over plain HTTP with 301 to the configured host, not the Host header', async () => {
    const res = await request(t.server).get('/health?x=1').set('Host', 'evil.example');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('https://api.example.com/health?x=1');
  });

  it('refuses other methods over plain HTTP with 403 problem+json', async () => {
    const res = await request(t.server).post('/notes').send({ title: 'x', body: '' });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('FORBIDDEN');
  });

  it('serves a request a trusted proxy received over HTTPS', async () => {
    const res = await request(t.server).get('/health').set('X-Forwarded-Proto', 'https');
    expect(res.status).toBe(200);
  });
});

describe.each(PLATFORMS)('HTTPS redirect behind an untrusted peer (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, { httpsRedirect: true, publicHost: 'api.example.com', trustedProxies: [] });
  });
  afterAll(() => t.close());

  it('ignores X-Forwarded-Proto from a peer that is not a trusted proxy', async () => {
    const res = await request(t.server).get('/health').set('X-Forwarded-Proto', 'https');
    expect(res.status).toBe(301);
  });
});
