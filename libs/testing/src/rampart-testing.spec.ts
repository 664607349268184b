import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Public } from '@rampart/auth';
import { RampartModule, useRampart, type RampartModuleOptions } from '@rampart/nest';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { withRampartTesting } from './rampart-testing';

@Controller()
class PingController {
  @Get('ping')
  @Public()
  ping(): { ok: true } {
    return { ok: true };
  }
}

// Two test apps on the one shared Redis, configured alike: what one spends or triggers, the other must not see.
const shared: RampartModuleOptions = {
  core: { store: { type: 'redis', url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' } },
  auth: { defaultMode: 'apiKey' },
  rateLimit: { store: 'core', defaultPolicy: { key: 'ip', tiers: [{ name: 'minute', limit: 3, window: '1m' }] } },
  threat: { mode: 'block' },
};

describe('withRampartTesting on a shared Redis', () => {
  const apps: INestApplication[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));
  async function boot(options: RampartModuleOptions): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [RampartModule.forRoot(options)],
      controllers: [PingController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    useRampart(app);
    await app.init();
    apps.push(app);
    return app;
  }
  const statuses = async (app: INestApplication, n: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await request(app.getHttpServer()).get('/ping')).status);
    return out;
  };

  it('gives each app its own namespace: one app spending its limit leaves the other untouched', async () => {
    const a = await boot(withRampartTesting(shared));
    const b = await boot(withRampartTesting(shared));
    expect(await statuses(a, 4)).toEqual([200, 200, 200, 429]);
    expect(await statuses(b, 4)).toEqual([200, 200, 200, 429]);
  });

  it('relaxes the module tiers, still sending the RateLimit headers', async () => {
    const app = await boot(withRampartTesting(shared, { rateLimit: 'relaxed' }));
    expect(await statuses(app, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect((await request(app.getHttpServer()).get('/ping')).headers['ratelimit-policy']).toMatch(/3000/);
  });

  it('monitors threats instead of blocking them', async () => {
    const blocking = await boot(withRampartTesting(shared));
    const monitoring = await boot(withRampartTesting(shared, { threat: 'monitor' }));
    const attack = { q: "1' OR '1'='1' --" };
    expect((await request(blocking.getHttpServer()).get('/ping').query(attack)).status).toBe(403);
    expect((await request(monitoring.getHttpServer()).get('/ping').query(attack)).status).toBe(200);
  });
});
