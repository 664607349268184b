import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

/** The sample's demo user (libs' defaults: 10 failures per account, 20 per IP, 15-minute block). */
const ALICE = { username: 'alice@acme.test', password: 'alice-password' };

function signIn(t: TestApp, ip: string, username: string, password: string): request.Test {
  return request(t.server)
    .post('/oauth/login')
    .set('X-Forwarded-For', ip)
    .type('form')
    .send({ username, password, return_to: '' });
}

/**
 * The sample's OAuth login form behind `LoginThrottle`, on two instances sharing one Redis (as
 * behind a load balancer): only failures count, per account (from any IP) and per IP.
 */
describeWithRedis('Login throttling on two instances sharing Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    let one: TestApp;
    let two: TestApp;

    beforeAll(async () => {
      // Same prefixes on both instances: one deployment. The demo users are the same on both.
      const shared = {
        redisUrl,
        rateLimit: { ...loadConfig({}).rateLimit, keyPrefix: `rl:${randomUUID()}:` },
        threat: { ...loadConfig({}).threat, keyPrefix: `threat:${randomUUID()}:` },
      };
      [one, two] = await Promise.all([startApp(platform, shared), startApp(platform, shared)]);
    });
    afterAll(async () => {
      await Promise.all([one.close(), two.close()]);
    });

    it('never locks out an IP for its successful sign-ins (25 from one office address)', async () => {
      for (let i = 0; i < 25; i++) {
        const res = await signIn(i % 2 ? one : two, '198.51.100.20', ALICE.username, ALICE.password);
        expect(res.status).toBe(302);
      }
    });

    it('locks an account after 10 wrong passwords from 5 IPs on both instances, the right password included', async () => {
      // Not a demo user: an unknown account is counted like a real one (no account enumeration).
      const account = `victim-${randomUUID()}@acme.test`;
      for (let i = 0; i < 10; i++) {
        const res = await signIn(i % 2 ? one : two, `203.0.113.${i % 5}`, account, `guess-${i}`);
        expect(res.status).toBe(401);
      }
      for (const [app, ip] of [
        [one, '203.0.113.77'],
        [two, '203.0.113.78'],
      ] as const) {
        const res = await signIn(app, ip, account.toUpperCase(), 'anything').expect(429);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 429, code: 'RATE_LIMITED', limitedBy: 'login-account' });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(14 * 60);
      }
      // The block is the account's, not the IPs': they still sign in to other accounts.
      await signIn(one, '203.0.113.1', ALICE.username, ALICE.password).expect(302);
    });

    it('refuses the right password of a locked demo user on the other instance', async () => {
      const bob = { username: 'bob@acme.test', password: 'bob-password' };
      await signIn(one, '192.0.2.60', bob.username, bob.password).expect(302);
      for (let i = 0; i < 10; i++) {
        await signIn(i % 2 ? one : two, `192.0.2.${61 + (i % 5)}`, bob.username, 'wrong').expect(401);
      }
      await signIn(two, '192.0.2.70', bob.username, bob.password).expect(429);
    });

    it('forgives an account its failures when the right password comes in time', async () => {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 9; i++) {
          await signIn(i % 2 ? one : two, `198.18.${round}.${i}`, 'admin@acme.test', 'wrong').expect(401);
        }
        await signIn(one, `198.18.${round}.99`, 'admin@acme.test', 'admin-password').expect(302);
      }
    });

    it('blocks one IP after 20 failures across accounts (credential stuffing), not its neighbours', async () => {
      for (let i = 0; i < 20; i++) {
        await signIn(i % 2 ? one : two, '192.0.2.200', `stuffed-${i}-${randomUUID()}@example.test`, 'x').expect(401);
      }
      const res = await signIn(one, '192.0.2.200', ALICE.username, ALICE.password).expect(429);
      expect(res.body).toMatchObject({ limitedBy: 'login-ip' });
      await signIn(two, '192.0.2.201', ALICE.username, ALICE.password).expect(302);
    });
  });
});
