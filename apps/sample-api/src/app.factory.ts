import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { useRampart } from '@rampart/nest';
import type { AppConfig } from './app.config';
import { AppModule } from './app.module';

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
  app.enableShutdownHooks();
}
