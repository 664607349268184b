import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { useRequestContext } from '@rampart/core';
import { strictCors, useHttpsRedirect, useSecurityHeaders } from '@rampart/headers';
import { useThreatDetection } from '@rampart/threat';
import { useRequestLimits } from '@rampart/validation';
import type { AppConfig } from './app.config';
import { AppModule } from './app.module';

export type Platform = 'express' | 'fastify';

/** Creates the sample API on either HTTP platform, configured as it runs in production. */
export async function createApp(config: AppConfig, platform: Platform = 'express'): Promise<INestApplication> {
  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule.forRoot(config), new FastifyAdapter(), { bufferLogs: true, rawBody: true })
      : await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true, rawBody: true });
  configureApp(app, config);
  return app;
}

/**
 * The Rampart wiring, in order: request context first (so everything after it has the request id
 * and client IP), then security headers (so every response carries them, a banned client's 403
 * included), threat detection (banned clients refused before any other work), the HTTPS redirect,
 * request limits and CORS. The e2e tests call this on apps built with `@nestjs/testing`.
 */
export function configureApp(app: INestApplication, config: AppConfig): void {
  useRequestContext(app);
  useSecurityHeaders(app);
  useThreatDetection(app);
  useHttpsRedirect(app, { enabled: config.httpsRedirect, ...(config.publicHost ? { host: config.publicHost } : {}) });
  useRequestLimits(app);
  app.enableCors(strictCors({ origins: config.corsOrigins }));
  app.enableShutdownHooks();
}
