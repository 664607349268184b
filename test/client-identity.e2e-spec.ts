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

    it('normalises every spelling of an address to one, and keys IPv6 on its /64', async () => {
      for (const spelling of ['::ffff:203.0.113.7', '::ffff:cb00:7107', '0:0:0:0:0:ffff:cb00:7107']) {
        const mapped = await request(t.server).get('/test/context').set('X-Forwarded-For', spelling);
        expect(mapped.body).toMatchObject({ clientIp: '203.0.113.7', clientKey: '203.0.113.7' });
      }
      const v6 = await request(t.server).get('/test/context').set('X-Forwarded-For', '2001:0DB8:0:0:1:2:3:4');
      expect(v6.body).toMatchObject({ clientIp: '2001:db8::1:2:3:4', clientKey: '2001:db8::/64' });
    });

    it('refuses a malformed X-Forwarded-For with a 400, never attributing it to the proxy', async () => {
      const garbage = await request(t.server).get('/test/context').set('X-Forwarded-For', 'not-an-ip');
      expect(garbage.status).toBe(400);
      expect(garbage.headers['content-type']).toContain('application/problem+json');
      expect(garbage.body).toMatchObject({ code: 'BAD_REQUEST', requestId: garbage.headers['x-request-id'] });
      expect(JSON.stringify(garbage.body)).not.toContain('not-an-ip');
      expect(garbage.headers['x-frame-options']).toBe('DENY');
      const behindGarbage = await request(t.server).get('/test/context').set('X-Forwarded-For', 'junk, 10.1.2.3');
      expect(behindGarbage.status).toBe(400);
    });
  });
});
