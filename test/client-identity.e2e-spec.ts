import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

describe.each(PLATFORMS)('client identity (%s)', (platform) => {
  describe('peer not trusted', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp(platform, { trustedProxies: [] });
    });
    afterAll(() => t.close());

    it('takes the client IP from the socket, normalised, ignoring a spoofed X-Forwarded-For', async () => {
      const res = await request(t.server).get('/test/context').set('X-Forwarded-For', '203.0.113.9');
      expect(res.body.clientIp).toBe('127.0.0.1');
    });
  });

  describe('peer is a trusted proxy', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp(platform, { trustedProxies: ['loopback', '10.0.0.0/8'] });
    });
    afterAll(() => t.close());

    it('takes the client IP from X-Forwarded-For', async () => {
      const res = await request(t.server).get('/test/context').set('X-Forwarded-For', '203.0.113.9');
      expect(res.body.clientIp).toBe('203.0.113.9');
    });

    it('takes the nearest untrusted hop, so a client cannot prepend a fake address', async () => {
      const res = await request(t.server)
        .get('/test/context')
        .set('X-Forwarded-For', '198.51.100.1, 203.0.113.9, 10.1.2.3');
      expect(res.body.clientIp).toBe('203.0.113.9');
    });

    it('normalises IPv4-mapped IPv6 and falls back to the proxy on garbage', async () => {
      const mapped = await request(t.server).get('/test/context').set('X-Forwarded-For', '::ffff:203.0.113.7');
      expect(mapped.body.clientIp).toBe('203.0.113.7');
      const garbage = await request(t.server).get('/test/context').set('X-Forwarded-For', 'not-an-ip');
      expect(garbage.body.clientIp).toBe('127.0.0.1');
    });
  });
});
