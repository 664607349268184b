import { Controller, Get, Req, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Public } from '@rampart/auth';
import { getRequestContext, type RequestContext } from '@rampart/core';
import { ServiceUnavailableError } from '@rampart/errors';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { loadConfig, type AppConfig } from '../../apps/sample-api/src/app.config';
import { configureApp, type Platform } from '../../apps/sample-api/src/app.factory';
import { AppModule } from '../../apps/sample-api/src/app.module';

/** Every e2e scenario runs on both HTTP platforms. */
export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];

/** A logger that keeps what it is given, so tests can read what reached the server's log. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private keep(level: string, message: unknown, params: unknown[]): void {
    // Structured messages (security events are objects) are kept as the JSON a log shipper would write.
    const text = (value: unknown): string =>
      typeof value === 'object' && value !== null && !(value instanceof Error) ? JSON.stringify(value) : String(value);
    this.lines.push([level, message, ...params].map(text).join(' '));
  }
  log(message: unknown, ...params: unknown[]): void {
    this.keep('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.keep('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.keep('warn', message, params);
  }
}

/** Routes only the tests mount: a handler that fails with secrets in its error, a deliberate 503, and a context probe. */
@Controller('test')
@Public()
export class ProbeController {
  @Get('crash')
  crash(): never {
    throw new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2 /srv/app/db.ts');
  }

  @Get('unavailable')
  unavailable(): never {
    throw new ServiceUnavailableError('The ledger is down for maintenance.', { reason: 'maintenance' });
  }

  @Get('context')
  context(@Req() req: object): RequestContext {
    return getRequestContext(req);
  }
}

/** Overrides of the sample's configuration; `rateLimit` and `threat` are merged field by field. */
export type TestConfig = Omit<Partial<AppConfig>, 'rateLimit' | 'threat'> & {
  rateLimit?: Partial<AppConfig['rateLimit']>;
  threat?: Partial<AppConfig['threat']>;
};

export interface TestApp {
  app: INestApplication;
  server: Server;
  logs: CapturingLogger;
  close(): Promise<void>;
}

/** Boots the sample API, configured as `main.ts` does, on `platform`, for supertest. */
export async function startApp(
  platform: Platform,
  overrides: TestConfig = {},
  controllers: Type[] = [ProbeController],
): Promise<TestApp> {
  // THREAT_MODE=block|ban runs the suites in that mode (as the sample reads it); nothing else of the
  // environment leaks in.
  const defaults = loadConfig({ THREAT_MODE: process.env.THREAT_MODE });
  // Each app counts under its own prefixes unless a test names one: suites share 127.0.0.1 and, with
  // Redis, one server, so a shared prefix lets one run's requests spend another's limits.
  const rateLimit = { ...defaults.rateLimit, keyPrefix: `rl:${randomUUID()}:`, ...overrides.rateLimit };
  const threat = { ...defaults.threat, keyPrefix: `threat:${randomUUID()}:`, ...overrides.threat };
  // A test naming its proxies configured them, as TRUSTED_PROXIES would.
  const trustedProxiesByDefault = overrides.trustedProxies === undefined && defaults.trustedProxiesByDefault;
  const config: AppConfig = { ...defaults, trustedProxiesByDefault, ...overrides, rateLimit, threat };
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)], controllers }).compile();
  const logs = new CapturingLogger();
  const app = moduleRef.createNestApplication(platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
    logger: logs,
    // As createApp: webhook signatures are checked over the body bytes.
    rawBody: true,
  });
  configureApp(app);
  await app.init();
  if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  return { app, server: app.getHttpServer() as Server, logs, close: () => app.close() };
}
