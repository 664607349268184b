import { Controller, Get, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ThrottlerGuard, ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import type { Store } from '@rampart/core';
import type { Server } from 'node:http';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { describeEachBackend, uniqueKeyPrefix } from '../../../test/utils/redis';
import { RampartThrottlerStorage } from './throttler.storage';

@Controller()
class PingController {
  @Get('ping')
  ping(): string {
    return 'pong';
  }
}

/** An application already on @nestjs/throttler, switched to Rampart's storage with one line. */
async function throttledApp(store: Store, limit: number): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ThrottlerModule.forRoot({
        throttlers: [
          { name: 'short', ttl: 60_000, limit },
          { name: 'long', ttl: 3_600_000, limit: limit * 10 },
        ],
        storage: new RampartThrottlerStorage(store) satisfies ThrottlerStorage,
      }),
    ],
    controllers: [PingController],
    providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

function describeThrottlerStorage(name: string, createStore: () => Promise<Store>): void {
  describe(`RampartThrottlerStorage with ThrottlerModule (${name})`, () => {
    let app: INestApplication | undefined;
    let store: Store | undefined;
    afterEach(async () => {
      await app?.close();
      await store?.close();
    });

    it('admits the limit, then 429 with throttler headers and Retry-After', async () => {
      store = await createStore();
      app = await throttledApp(store, 3);
      const server = app.getHttpServer() as Server;
      const first = await request(server).get('/ping').expect(200);
      expect(first.headers).toMatchObject({ 'x-ratelimit-limit-short': '3', 'x-ratelimit-remaining-short': '2' });
      expect(first.headers['x-ratelimit-remaining-long']).toBe('29');
      await request(server).get('/ping').expect(200);
      await request(server).get('/ping').expect(200);
      const denied = await request(server).get('/ping').expect(429);
      expect(Number(denied.headers['retry-after-short'])).toBeGreaterThan(0);
    });

    it('never admits more than the limit under concurrency', async () => {
      store = await createStore();
      app = await throttledApp(store, 20);
      const server = app.getHttpServer() as Server;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const statuses = await Promise.all(
        Array.from({ length: 200 }, () => fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.status)),
      );
      expect(
        statuses.filter((s) => s === 200),
        JSON.stringify([...new Set(statuses)]),
      ).toHaveLength(20);
    });
  });
}

describeEachBackend('RampartThrottlerStorage', (backend, keyPrefix) => {
  // A prefix per test: a denied hit blocks the key for the throttler's ttl.
  describeThrottlerStorage(backend.name, () => backend.store(`${keyPrefix}${uniqueKeyPrefix('t')}`));
});
