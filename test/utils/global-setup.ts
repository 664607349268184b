import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis URL tests may use, or '' when no Redis answers. */
    redisUrl: string;
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Finds out once whether Redis answers; tests that need it are skipped, loudly, when it does not. */
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) {
    project.provide('redisUrl', url);
    return;
  }
  if (process.env.CI === 'true')
    throw new Error(`CI=true and no Redis answers at ${url}: the Redis tests cannot be skipped in CI.`);
  console.warn(`\n!!! No Redis answers at ${url}: every Redis-backed test is SKIPPED. Start Redis to run them. !!!\n`);
  project.provide('redisUrl', '');
}
