import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '../../scripts/redis-cluster.sh');

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Twelve consecutive free ports (six nodes, six cluster-bus ports) in a range the OS rarely hands out. */
async function freePortRange(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 21_000 + Math.floor(Math.random() * 8_000);
    const ports = Array.from({ length: 12 }, (_, i) => base + i);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no 12 consecutive free ports for a private Redis Cluster');
}

export interface PrivateCluster {
  /** `host:port,…` of the six nodes. */
  readonly nodes: string;
  readonly ports: readonly number[];
  /** The pid of the redis-server on `port`. */
  pid(port: number): Promise<number>;
  /** A client of one node (the caller closes it). */
  node(port: number): Redis;
  /** The port of the primary serving `key`'s slot, asked of a node that answers. */
  primaryOf(key: string): Promise<number>;
  /** The port of the replica of the primary on `port`. */
  replicaOf(port: number): Promise<number>;
  /** Waits until `port` is a primary serving slots and the cluster state is ok, asking `via`. */
  waitForPrimary(port: number, via: number, timeoutMs: number): Promise<void>;
  /** Restarts the node on `port`, a primary a test killed and failed over: resolves once it is its successor's replica, in sync. */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of its own (3 primaries + 3 replicas) for tests that kill, freeze or reshard
 * nodes, which the shared test cluster must never see. Started with scripts/redis-cluster.sh.
 */
export async function startPrivateCluster(nodeTimeoutMs: number): Promise<PrivateCluster> {
  const base = await freePortRange();
  const dir = await mkdtemp(join(tmpdir(), 'rampart-private-cluster-'));
  const env = {
    ...process.env,
    REDIS_CLUSTER_PORT: String(base),
    REDIS_CLUSTER_BUS_PORT: String(base + 6),
    REDIS_CLUSTER_DIR: dir,
    REDIS_CLUSTER_NODE_TIMEOUT: String(nodeTimeoutMs),
  };
  await run('bash', [SCRIPT, 'start'], { env, timeout: 60_000 });
  const ports = Array.from({ length: 6 }, (_, i) => base + i);
  const node = (port: number): Redis =>
    new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: false });
  const ask = async <T>(port: number, fn: (client: Redis) => Promise<T>): Promise<T> => {
    const client = node(port);
    client.on('error', () => undefined);
    try {
      return await fn(client);
    } finally {
      client.disconnect();
    }
  };
  /** Until the node on `port` is a replica whose link to its primary is up (its sync finished). */
  const waitForSync = async (port: number, timeoutMs: number, label: string): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await ask(port, (client) => client.info('replication')).catch(() => '');
      if (info.includes('role:slave') && info.includes('master_link_status:up')) return;
      if (Date.now() > deadline) throw new Error(`${label} ${port} did not finish its sync within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  // Every replica must have finished its first sync: until then `WAIT` counts no replica, and a
  // test of `waitForReplicas` would see writes refused for a reason unrelated to what it tests.
  for (const port of ports) {
    const info = await ask(port, (client) => client.info('replication'));
    if (info.includes('role:slave')) await waitForSync(port, 30_000, 'replica');
  }
  return {
    nodes: ports.map((port) => `127.0.0.1:${port}`).join(','),
    ports,
    pid: async (port) => Number(await readFile(join(dir, `${port}.pid`), 'utf8')),
    node,
    async primaryOf(key) {
      return ask(base, async (client) => {
        const slot = await client.cluster('KEYSLOT', key);
        const ranges = await client.cluster('SLOTS');
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!range?.[2]) throw new Error(`no node serves slot ${slot}`);
        return range[2][1];
      });
    },
    async replicaOf(port) {
      return ask(port, async (client) => {
        const lines = String(await client.cluster('NODES')).split('\n');
        const id = lines.find((l) => l.includes('myself'))!.split(' ')[0]!;
        const replica = lines.find((l) => l.includes(` ${id} `) && /slave/.test(l));
        if (!replica) throw new Error(`no replica of 127.0.0.1:${port}`);
        return Number(/:(\d+)@/.exec(replica)![1]);
      });
    },
    async waitForPrimary(port, via, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const ok = await ask(via, async (client) => {
          const info = await client.cluster('INFO');
          const nodes = String(await client.cluster('NODES'));
          const line = nodes.split('\n').find((l) => l.includes(`127.0.0.1:${port}@`));
          return /cluster_state:ok/.test(info) && !!line && / (myself,)?master /.test(line);
        }).catch(() => false);
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`127.0.0.1:${port} did not become a primary within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async restart(port) {
      await run('bash', [SCRIPT, 'node', String(port)], { env, timeout: 30_000 });
      // A failed-over primary rejoins as a replica of its successor, then syncs (a diskless sync
      // waits `repl-diskless-sync-delay`, 5 s by default, for more replicas): until then WAIT counts none.
      await waitForSync(port, 30_000, 'restarted node');
    },
    async stop() {
      await run('bash', [SCRIPT, 'stop'], { env, timeout: 60_000 });
    },
  };
}
