import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import { Test, type TestingModule } from '@nestjs/testing';
import { RampartCoreModule, SecurityEvents } from '@rampart/core';
import { createServer, type Server } from 'node:net';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditModule } from '../audit.module';
import type { AuditModuleOptions } from '../audit.options';
import { AuditService } from '../audit.service';
import { AuditHealthIndicator } from './audit-health.indicator';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly audit: AuditHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.audit.isHealthy('audit')]);
  }
}

let moduleRef: TestingModule | undefined;
let deadPort: Server | undefined;
afterEach(async () => {
  await moduleRef?.close();
  deadPort?.close();
});

async function boot(options: AuditModuleOptions) {
  moduleRef = await Test.createTestingModule({
    imports: [TerminusModule, RampartCoreModule.forRoot({ logEvents: false }), AuditModule.forRoot(options)],
    controllers: [HealthController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('AuditHealthIndicator under @nestjs/terminus', () => {
  it('is up with a healthy store and sinks', async () => {
    const app = await boot({});
    const res = await request(app.getHttpServer()).get('/health');
    expect(res.status).toBe(200);
    expect(res.body.info.audit).toMatchObject({ status: 'up', store: { up: true } });
  });

  it('is down (503) when a sink cannot write, naming it', async () => {
    // A port that accepts nothing: the Redis stream sink fails every write.
    deadPort = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => deadPort!.listen(0, '127.0.0.1', resolve));
    const { port } = deadPort.address() as { port: number };
    const app = await boot({ redis: { url: `redis://127.0.0.1:${port}` } });
    app.get(SecurityEvents).emit({ type: 'auth.failure', severity: 'medium' });
    await app.get(AuditService).flush();
    const res = await request(app.getHttpServer()).get('/health');
    expect(res.status).toBe(503);
    expect(res.body.error.audit).toMatchObject({ status: 'down', sinks: { redis: { up: false, dropped: 1 } } });
  });
});
