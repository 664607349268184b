// Runs an application instance in a process of its own, as in production: several instances share
// one Redis and none shares its event loop with the load generator or with another instance. The
// instance is the minimal stack the rate limiter needs (request context, problem+json errors,
// RateLimitModule on core's Redis store) and the rate-limit test routes.
// Usage: startAppProcess(platform, redisUrl, rateLimitOptions); for a Redis Cluster pass
// `cluster:host:port,host:port` instead of the URL, for Redis Sentinel `sentinel:<name>@host:port,…`.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Module, type DynamicModule } from '@nestjs/common';
import { RampartCoreModule, useRequestContext, type RedisStoreOptions } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { RateLimitModule, type RateLimitModuleOptions } from '@rampart/rate-limit';
import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Platform } from '../../apps/sample-api/src/app.factory';
import { parseClusterNodes } from './global-setup';
import { RateLimitedController } from './rate-limited.controller';

export interface AppProcess {
  url: string;
  stop(): Promise<void>;
}

/** One answer of {@link drive}: its status, how long it took, and when it was sent. */
export interface Answer {
  status: number;
  ms: number;
  at: number;
}

/** Sends `count` GETs of `route`, `concurrency` at a time, alternating between the instances' `urls`. */
export async function drive(urls: string[], route: string, count: number, concurrency = 4): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const url = urls[next++ % urls.length]!;
        const started = Date.now();
        const response = await fetch(`${url}${route}`);
        await response.arrayBuffer();
        answers.push({ status: response.status, ms: Date.now() - started, at: started });
      }
    }),
  );
  return answers;
}

/** Keeps {@link drive}ing `route` until `until` settles (either way), then `afterMs` more. */
export async function driveThrough(
  urls: string[],
  route: string,
  until: Promise<unknown>,
  afterMs: number,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  const state = { done: false };
  const stop = () => sleep(afterMs).then(() => (state.done = true));
  until.then(stop, stop);
  while (!state.done) answers.push(...(await drive(urls, route, 8)));
  return answers;
}

/** How many of `answers` were admitted (200). */
export const admitted = (answers: Answer[]): number => answers.filter((a) => a.status === 200).length;

/** Counts per status and the slowest answer, for a test's report. */
export function summary(answers: Answer[]): { counts: Record<number, number>; slowestMs: number } {
  const counts: Record<number, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return { counts, slowestMs: Math.max(...answers.map((a) => a.ms)) };
}

/** Starts one instance in a child process; resolves once it listens. */
export function startAppProcess(
  platform: Platform,
  redisUrl: string,
  options: RateLimitModuleOptions,
  storeOptions: Pick<RedisStoreOptions, 'waitForReplicas'> = {},
): Promise<AppProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [platform, redisUrl, JSON.stringify(options), JSON.stringify(storeOptions)], {
      execArgv: ['-r', '@swc-node/register'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.once('message', (message) => {
      resolve({
        url: (message as { url: string }).url,
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => {
              done();
            });
            child.disconnect();
          }),
      });
    });
    child.once('exit', (code) => {
      reject(new Error(`app process exited with ${String(code)}`));
    });
  });
}

/**
 * `cluster:host:port,…` names a Redis Cluster's start-up nodes, `sentinel:<name>@host:port,…` a
 * primary watched by sentinels; anything else is a Redis URL.
 */
function redisTarget(target: string): RedisStoreOptions {
  if (target.startsWith('cluster:')) return { cluster: { nodes: parseClusterNodes(target.slice('cluster:'.length)) } };
  if (target.startsWith('sentinel:')) {
    const [name = '', sentinels = ''] = target.slice('sentinel:'.length).split('@');
    return { sentinel: { name, sentinels: parseClusterNodes(sentinels) } };
  }
  return { url: target };
}

@Module({})
class InstanceModule {
  static forRoot(redisUrl: string, options: RateLimitModuleOptions, storeOptions: RedisStoreOptions): DynamicModule {
    return {
      module: InstanceModule,
      imports: [
        // A cold process flooded with 500 requests lags its own event loop by more than ioredis' default
        // command timeout here (500 ms): the reply is in the socket but the timer fires first. The
        // rate limiter detects a hung Redis by itself (no answers for deadline + 50 ms).
        RampartCoreModule.forRoot({
          store: { type: 'redis', ...redisTarget(redisUrl), commandTimeoutMs: 5_000, ...storeOptions },
          logEvents: false,
        }),
        ErrorsModule.forRoot({}),
        RateLimitModule.forRoot(options),
      ],
      controllers: [RateLimitedController],
    };
  }
}

async function main(): Promise<void> {
  const [platform, redisUrl, options, storeOptions = '{}'] = process.argv.slice(2) as [
    Platform,
    string,
    string,
    string?,
  ];
  const module = InstanceModule.forRoot(
    redisUrl,
    JSON.parse(options) as RateLimitModuleOptions,
    JSON.parse(storeOptions) as RedisStoreOptions,
  );
  const app =
    platform === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger: ['error'] })
      : await NestFactory.create(module, { logger: ['error'] });
  useRequestContext(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  process.send?.({ url });
  process.on('disconnect', () => void app.close().then(() => process.exit(0)));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
