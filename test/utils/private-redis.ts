import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe } from 'vitest';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedisServer) {
  if (process.env.CI === 'true')
    throw new Error('CI=true and redis-server is not installed: private-Redis tests cannot run.');
  console.warn('\n!!! redis-server is not installed: tests that need a private Redis are SKIPPED. !!!\n');
}

/**
 * `describe` when a private Redis can be started, for tests that do what the shared one must never
 * see (SCRIPT FLUSH, restarts); `describe.skip` otherwise.
 */
export const describeWithPrivateRedis = hasRedisServer ? describe : describe.skip;

export interface PrivateRedis {
  /** Where the server listens, as a Rampart store `url` (ioredis reads a bare path as a Unix socket). */
  readonly url: string;
  /** A new client of this server (the caller closes it). */
  client(): Redis;
  /** Stops the process (SIGSTOP): connections stay open and nothing answers, a hung Redis. */
  freeze(): void;
  /** Resumes a frozen server (SIGCONT). */
  thaw(): void;
  stop(): Promise<void>;
}

/** A throwaway redis-server on a Unix socket of its own: no port to race for, nothing kept on disk. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const socket = join(tmpdir(), `rampart-redis-${randomUUID()}.sock`);
  const server = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: 'ignore' },
  );
  const client = (): Redis => new Redis({ path: socket, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  const probe = client();
  probe.on('error', () => undefined);
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      await probe.ping();
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        server.kill();
        throw new Error(`A private redis-server did not answer on ${socket} within 5 s`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  probe.disconnect();
  return {
    url: socket,
    client,
    freeze: () => server.kill('SIGSTOP'),
    thaw: () => server.kill('SIGCONT'),
    async stop() {
      if (server.exitCode !== null || server.signalCode !== null) return; // stopped already
      // A frozen process would queue SIGTERM until resumed.
      server.kill('SIGCONT');
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill();
      await exited;
      await rm(socket, { force: true });
    },
  };
}
