import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { useRequestContext } from '@rampart/core';
import { strictCors, useHttpsRedirect, useSecurityHeaders } from '@rampart/headers';
import { useBodyLimits } from '@rampart/validation';
import { AppModule } from './app.module';

export type Platform = 'express' | 'fastify';

/** Creates the sample API on either HTTP platform, configured as it runs in production. */
export async function createApp(platform: Platform = 'express'): Promise<INestApplication> {
  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { bufferLogs: true })
      : await NestFactory.create(AppModule, { bufferLogs: true });
  configureApp(app);
  return app;
}

/**
 * The Rampart wiring, in order: request context first (so everything after has the request id and
 * client IP), then headers, the HTTPS redirect, body limits and CORS. Tests call this on apps
 * built with `@nestjs/testing`.
 */
export function configureApp(app: INestApplication): void {
  useRequestContext(app);
  useSecurityHeaders(app);
  useHttpsRedirect(app, { enabled: process.env.HTTPS_REDIRECT === 'true', host: process.env.PUBLIC_HOST });
  useBodyLimits(app, { maxBytes: 100 * 1024 });
  app.enableCors(strictCors({ origins: (process.env.CORS_ORIGINS ?? 'http://localhost:5173').split(',').filter(Boolean) }));
  app.enableShutdownHooks();
}
