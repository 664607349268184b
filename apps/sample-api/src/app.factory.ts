import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder } from '@nestjs/swagger';
import { useRampart } from '@rampart/nest';
import { createRampartDocument, setupRampartDocs } from '@rampart/openapi';
import type { AppConfig } from './app.config';
import { AppModule } from './app.module';
import { warnAboutDefaultProxyTrust } from './proxy-trust-warnings';

export type Platform = 'express' | 'fastify';

/** Creates the sample API on either HTTP platform, configured as it runs in production. */
export async function createApp(config: AppConfig, platform: Platform = 'express'): Promise<INestApplication> {
  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule.forRoot(config), new FastifyAdapter(), { bufferLogs: true, rawBody: true })
      : await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true, rawBody: true });
  configureApp(app);
  return app;
}

/**
 * The platform wiring: Rampart's whole chain in its one order (see `useRampart`), with the options
 * given to RampartModule.forRoot in AppModule. The e2e tests call this on apps built with
 * `@nestjs/testing`.
 */
export function configureApp(app: INestApplication): void {
  useRampart(app);
  warnAboutDefaultProxyTrust(app);
  serveApiDocs(app);
  app.enableShutdownHooks();
}

/**
 * The OpenAPI document at `/docs-json` and Swagger UI at `/docs` (its CSP relaxed there only):
 * security schemes, scopes, problem responses and rate-limit headers come from Rampart's decorators.
 */
function serveApiDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Rampart sample API')
    .setDescription('Every Rampart module working together.')
    .setVersion('0.1.0')
    .setOpenAPIVersion('3.1.0')
    .build();
  const document = createRampartDocument(app, config, {
    oauth: { authorizationUrl: '/oauth/authorize', tokenUrl: '/oauth/token' },
  });
  setupRampartDocs(app, 'docs', document);
}
