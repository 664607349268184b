import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from './app.config';
import { createApp, type Platform } from './app.factory';

async function main(): Promise<void> {
  const platform: Platform = process.env.PLATFORM === 'fastify' ? 'fastify' : 'express';
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const app = await createApp(loadConfig(), platform);
  await app.listen(port, host);
  new Logger('SampleApi').log(`Listening on ${await app.getUrl()} (${platform}); try GET /health`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
