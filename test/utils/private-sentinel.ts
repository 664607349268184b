import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** Name under which the sentinel watches the private primary. */
export const SENTINEL_MASTER = 'rampart-test';

export interface PrivateSentinel {
  /** `host:port` of the sentinel. */
  readonly sentinel: { host: string; port: number };
  /** Ports of the two data nodes; `primary` is the current one as the sentinel sees it. */
  readonly ports: readonly [number, number];
  primary(): Promise<number>;
  /** The redis-server process on `port`. */
  process(port: number): ChildProcess;
  /** A client of one data node (the caller closes it). */
  node(port: number): Redis;
  /** Asks the sentinel to fail over now (SENTINEL FAILOVER: a planned switch, nothing lost). */
  failover(): Promise<void>;
  /** Waits until the sentinel names `port` as the primary. */
  waitForPrimary(port: number, timeoutMs: number): Promise<void>;
  /**
   * Waits until `port` replicates again (the sentinel converts a demoted primary to a replica on
   * its next INFO round, about 10 s after the switch; until then both nodes are primaries).
   */
  waitForReplicaLink(port: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A private primary, its replica and one sentinel (quorum 1) on free TCP ports (Sentinel cannot
 * watch Unix sockets), with `down-after-milliseconds` as given. Never the shared Redis.
 */
export async function startPrivateSentinel(downAfterMs: number): Promise<PrivateSentinel> {
  const dir = await mkdtemp(join(tmpdir(), 'rampart-private-sentinel-'));
  const [primaryPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
  const servers = new Map<number, ChildProcess>();
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
  const startNode = (port: number, extra: string[] = []): void => {
    servers.set(
      port,
      spawn('redis-server', ['--port', String(port), '--dir', dir, ...common, ...extra], { stdio: 'ignore' }),
    );
  };
  startNode(primaryPort);
  startNode(replicaPort, ['--replicaof', '127.0.0.1', String(primaryPort)]);
  const node = (port: number): Redis => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  const ask = async <T>(port: number, fn: (client: Redis) => Promise<T>): Promise<T> => {
    const client = node(port);
    client.on('error', () => undefined);
    try {
      return await fn(client);
    } finally {
      client.disconnect();
    }
  };
  await until('the replica did not finish its first sync', 30_000, () =>
    ask(replicaPort, async (client) => (await client.info('replication')).includes('master_link_status:up')),
  );
  // Sentinel rewrites its configuration file: it must be a file of its own.
  const config = join(dir, 'sentinel.conf');
  await writeFile(
    config,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${primaryPort} 1`,
      `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${downAfterMs}`,
      `sentinel failover-timeout ${SENTINEL_MASTER} 10000`,
      `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
      '',
    ].join('\n'),
  );
  const sentinelProcess = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  const sentinel = (): Redis => new Redis({ port: sentinelPort, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  const askSentinel = async <T>(fn: (client: Redis) => Promise<T>): Promise<T> => {
    const client = sentinel();
    client.on('error', () => undefined);
    try {
      return await fn(client);
    } finally {
      client.disconnect();
    }
  };
  const primary = async (): Promise<number> =>
    askSentinel(async (client) => {
      const [, port] = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER)) as [string, string];
      return Number(port);
    });
  // The sentinel must know the replica before it can promote it.
  await until('the sentinel did not discover the replica', 30_000, () =>
    askSentinel(async (client) => {
      const replicas = (await client.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER)) as string[][];
      return replicas.length === 1;
    }),
  );
  return {
    sentinel: { host: '127.0.0.1', port: sentinelPort },
    ports: [primaryPort, replicaPort],
    primary,
    process: (port) => servers.get(port)!,
    node,
    async failover() {
      await askSentinel((client) => client.call('SENTINEL', 'FAILOVER', SENTINEL_MASTER));
    },
    async waitForPrimary(port, timeoutMs) {
      await until(`127.0.0.1:${port} did not become the primary`, timeoutMs, async () => {
        if ((await primary()) !== port) return false;
        return ask(port, async (client) => (await client.info('replication')).includes('role:master'));
      });
    },
    async waitForReplicaLink(port, timeoutMs) {
      await until(`127.0.0.1:${port} did not replicate`, timeoutMs, () =>
        ask(port, async (client) => {
          const info = await client.info('replication');
          return info.includes('role:slave') && info.includes('master_link_status:up');
        }),
      );
    },
    async stop() {
      const all = [sentinelProcess, ...servers.values()];
      await Promise.all(
        all.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}
