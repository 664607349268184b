import { Controller, Get } from '@nestjs/common';
import { Public } from '@rampart/auth';
import { SkipRateLimit } from '@rampart/rate-limit';
import { ThreatService } from '@rampart/threat';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPrivateRedis, startPrivateRedis, type PrivateRedis } from './utils/private-redis';
import { PLATFORMS, ProbeController, startApp, type TestApp } from './utils/test-app';

/** A CPU-heavy route: each request holds the event loop for 30 ms, as a costly handler under a flood does. */
@Controller('test')
class BurnController {
  @Public()
  @SkipRateLimit()
  @Get('burn')
  burn(): { spun: number } {
    const until = Date.now() + 30;
    let spun = 0;
    while (Date.now() < until) spun++;
    return { spun };
  }
}

const BANNED = Array.from({ length: 12 }, (_, i) => `198.51.100.${100 + i}`);
const from = (ip: string): Record<string, string> => ({ 'X-Forwarded-For': ip });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Keeps the event loop saturated: four CPU-heavy requests in flight at all times, and wrong-password
 * logins at 25/s (the red-team's load), until `stop()`.
 */
function flood(server: TestApp['server']): { stop(): Promise<void>; sent(): number } {
  const state = { running: true };
  let sent = 0;
  const burners = Array.from({ length: 4 }, async (_, i) => {
    while (state.running) {
      await request(server)
        .get('/test/burn')
        .set(from(`203.0.113.${i + 1}`));
      sent++;
    }
  });
  const logins = (async () => {
    for (let i = 0; state.running; i++) {
      void request(server)
        .post('/oauth/login')
        .type('form')
        .set(from(`192.0.2.${(i % 200) + 1}`))
        .send({ username: `user${i}@acme.test`, password: 'wrong', return_to: '' })
        .then(() => sent++);
      await sleep(40);
    }
  })();
  return {
    sent: () => sent,
    async stop() {
      state.running = false;
      await Promise.all([...burners, logins]);
    },
  };
}

describeWithPrivateRedis('ban enforcement under load and through a Redis outage', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    let redis: PrivateRedis;
    let banning: TestApp;
    let serving: TestApp;

    beforeAll(async () => {
      redis = await startPrivateRedis();
      const threat = { mode: 'ban' as const, keyPrefix: 'threat:enforcement:' };
      // Two instances sharing the store: the bans are set on one and enforced by the other, which
      // has never seen them (its first lookup of each happens under the flood).
      banning = await startApp(platform, { redisUrl: redis.url, threat });
      serving = await startApp(platform, { redisUrl: redis.url, threat }, [ProbeController, BurnController]);
      const threatOfBanning = banning.app.get(ThreatService);
      for (const ip of BANNED) expect(await threatOfBanning.ban(ip, { ttlMs: 10 * 60_000 })).toBe(true);
    }, 60_000);
    afterAll(async () => {
      await serving.close();
      await banning.close();
      await redis.stop();
    });

    it('a banned client stays refused while a flood saturates the event loop, then while Redis is frozen', async () => {
      const load = flood(serving.server);
      try {
        await sleep(500);
        // First lookups of each ban, under the flood: a deadline on the event loop would let them in.
        const underLoad = await Promise.all(
          BANNED.map((ip) => request(serving.server).get('/test/context').set(from(ip))),
        );
        expect(underLoad.map((r) => r.status)).toEqual(BANNED.map(() => 403));
        // And again after the ban cache (1 s) has expired: fresh lookups, still under the flood.
        await sleep(1_200);
        const again = await Promise.all(BANNED.map((ip) => request(serving.server).get('/test/context').set(from(ip))));
        expect(again.map((r) => r.status)).toEqual(BANNED.map(() => 403));
      } finally {
        await load.stop();
      }
      expect(load.sent()).toBeGreaterThan(20);

      redis.freeze();
      try {
        // Through the outage, past the ban cache and the breaker's cool-down: the bans this
        // instance has seen stay enforced from memory.
        for (let round = 0; round < 4; round++) {
          const frozen = await Promise.all(
            BANNED.map((ip) => request(serving.server).get('/test/context').set(from(ip))),
          );
          expect(frozen.map((r) => r.status)).toEqual(BANNED.map(() => 403));
          await sleep(900);
        }
        // Fail open for the others: an outage of threat detection is not an outage of the API.
        await request(serving.server).get('/test/context').set(from('198.51.100.250')).expect(200);
      } finally {
        redis.thaw();
      }
    }, 90_000);
  });
});
