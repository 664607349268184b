import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions, SentinelAddress } from 'ioredis';
import { loadOptionalPeer } from '../optional-peer';
import { RedisNotices } from './redis-notices';
import {
  assertTtl,
  type Store,
  type StoreIncrementOptions,
  type StoreListener,
  type StoreScript,
  type StoreSetOptions,
} from './store';
import { isOutage, StoreUnavailableError } from './store-unavailable.error';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]`; ignored when `client`, `cluster` or `sentinel` is given. */
  url?: string;
  /** Redis Cluster start-up nodes; every multi-key operation of Rampart uses `{hash tags}`. */
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
  /**
   * A primary watched by Redis Sentinel: the client asks the sentinels for the current primary,
   * follows a failover (`failoverDetector`, `+switch-master`), and reconnects when a node it
   * writes to answers READONLY (a demoted primary). `options` are ioredis' (password,
   * sentinelPassword, TLS…). libs/rate-limit/README.md "Redis Sentinel" has the measured failover.
   */
  sentinel?: { sentinels: Partial<SentinelAddress>[]; name: string; options?: RedisOptions };
  /** A client the application owns; Rampart never disconnects it. */
  client?: Redis | Cluster;
  /** @default 'rampart:' */
  keyPrefix?: string;
  /**
   * A command that gets no answer within this time fails, so a hung Redis cannot hang requests.
   * Not much lower: when the event loop stalls longer than this, the timer fires before the reply
   * already waiting in the socket is read, and a healthy Redis looks down. Libs that must answer
   * sooner (rate-limit's deadline) race their own, shorter timer.
   * @default 1000
   */
  commandTimeoutMs?: number;
  /**
   * How long start-up waits for Redis before serving anyway (each lib's outage policy then
   * applies until the connection is up). Generous: a busy machine takes seconds to connect.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * Makes each script run (rate-limit decisions, one-time codes, token rotation, threat counters)
   * wait until `replicas` replicas have acknowledged it (Redis `WAIT`, sent in the same round trip),
   * and fail when they have not within `timeoutMs`: each lib's outage policy then applies.
   * Replication is asynchronous, so without it a primary that crashes can take its last writes with
   * it and the promoted replica admits them again (libs/rate-limit/README.md "Failover" has the
   * measured bound). Costs one replication round trip per run, and `timeoutMs` when a replica is
   * down; keep `timeoutMs` below the rate limiter's `deadlineMs`. Pair it with `failClosed`.
   * @default undefined (no wait)
   */
  waitForReplicas?: { replicas: number; timeoutMs: number };
}

/**
 * ioredis' defaults suit batch jobs, not request handling: commands issued while disconnected wait
 * in an offline queue and are retried 20 times (a request then waits about 73 s and fails), and a
 * server that accepts connections but never answers makes callers wait forever. Rampart fails fast
 * and lets each lib apply its documented outage policy; reconnection goes on in the background.
 */
export function failFastRedisOptions(
  options: Pick<RedisStoreOptions, 'commandTimeoutMs' | 'connectTimeoutMs'>,
): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    enableAutoPipelining: true,
  };
}

/**
 * A client for `options` (`url`, `cluster` or `sentinel`, as {@link RedisStoreOptions} describes
 * them) with {@link failFastRedisOptions}: one way to reach Redis for every lib that opens its own
 * connection. A standalone or Sentinel client is created with `lazyConnect`: call `connect()`.
 * @param feature names what needs ioredis in the error thrown when it is not installed.
 */
export function createRedisClient(
  options: Pick<RedisStoreOptions, 'url' | 'cluster' | 'sentinel' | 'commandTimeoutMs' | 'connectTimeoutMs'>,
  feature: string,
): Redis | Cluster {
  const { Redis: RedisClient, Cluster: ClusterClient } = loadOptionalPeer(
    'ioredis',
    feature,
  ) as typeof import('ioredis');
  const clientOptions = failFastRedisOptions(options);
  if (options.cluster) {
    return new ClusterClient(options.cluster.nodes, {
      // ioredis learns of a failover only from an error it recognises; a hung primary answers
      // nothing, and requests would time out against it after its replica was promoted.
      // Re-reading the slot map each second finds the new primary (measured in the
      // rate-limit README's "Failover").
      slotsRefreshInterval: 1000,
      ...options.cluster.options,
      enableOfflineQueue: false,
      clusterRetryStrategy: clientOptions.retryStrategy,
      redisOptions: { ...clientOptions, ...options.cluster.options?.redisOptions },
    });
  }
  if (options.sentinel) {
    return new RedisClient({
      // Subscribes to the sentinels' +switch-master: a hung primary sends no error to learn from.
      failoverDetector: true,
      // A primary demoted while connected answers writes with READONLY: find the new one.
      reconnectOnError: (error) => error.message.startsWith('READONLY'),
      ...clientOptions,
      ...options.sentinel.options,
      sentinels: options.sentinel.sentinels,
      name: options.sentinel.name,
      lazyConnect: true,
    });
  }
  return new RedisClient(options.url ?? 'redis://127.0.0.1:6379', { ...clientOptions, lazyConnect: true });
}

/** The Redis store: state shared by every instance, each operation one round trip. */
export class RedisStore implements Store {
  readonly kind = 'redis';
  private readonly logger = new Logger('RampartRedisStore');
  /** SHA-1 of each script's Lua, by script name. */
  private readonly shas = new Map<string, string>();
  private notices: RedisNotices | undefined;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly ownsClient: boolean,
    private readonly prefix = 'rampart:',
    private readonly waitForReplicas?: RedisStoreOptions['waitForReplicas'],
    private readonly commandTimeoutMs = 1000,
  ) {
    if (waitForReplicas) {
      const { replicas, timeoutMs } = waitForReplicas;
      if (!Number.isSafeInteger(replicas) || replicas < 1 || !Number.isSafeInteger(timeoutMs) || timeoutMs < 1)
        throw new RangeError('waitForReplicas needs whole numbers: replicas ≥ 1 and timeoutMs ≥ 1.');
    }
  }

  /** Creates a store from options, connecting its own client unless one is given. */
  static async create(options: RedisStoreOptions): Promise<RedisStore> {
    if (options.client) {
      return new RedisStore(
        options.client,
        false,
        options.keyPrefix,
        options.waitForReplicas,
        options.commandTimeoutMs,
      );
    }
    const client = createRedisClient(options, 'Redis storage (store: { type: "redis" })');
    const store = new RedisStore(client, true, options.keyPrefix, options.waitForReplicas, options.commandTimeoutMs);
    await store.connect(options.connectTimeoutMs ?? 5000);
    return store;
  }

  private async connect(timeoutMs: number): Promise<void> {
    // A hard error here would stop the application; an unreachable Redis at start-up is one more
    // outage, handled by each lib's policy, and the client keeps reconnecting.
    this.client.on('error', () => undefined);
    try {
      if (this.client.status === 'wait') await this.client.connect();
      else await this.waitUntilReady(timeoutMs);
      // A cluster client connects to each primary on its first command: the first burst of
      // requests would pay the connection set-up and miss each lib's deadline. Connect them now.
      if ('nodes' in this.client) await Promise.all(this.client.nodes('master').map((node) => node.ping()));
    } catch (error) {
      this.logger.warn(`Redis is not reachable yet (${(error as Error).message}); retrying in the background.`);
      return;
    }
    const policy = await this.evictionPolicy();
    if (policy !== undefined && policy !== 'noeviction') {
      this.logger.warn(
        `Redis evicts keys under memory pressure (maxmemory-policy ${policy}): a flood of counters can push bans, blocks, revocations and one-time codes out. Set maxmemory-policy noeviction (new writes are then refused and each lib's outage policy answers; nothing in force is dropped).`,
      );
    }
  }

  /**
   * Redis' `maxmemory-policy` (of one primary), or `undefined` when it cannot be read (CONFIG is
   * often disabled on managed Redis). Anything but `noeviction` lets memory pressure evict security
   * state, which a flood of attacker-keyed counters can cause.
   */
  async evictionPolicy(): Promise<string | undefined> {
    try {
      const node = 'nodes' in this.client ? this.client.nodes('master')[0] : this.client;
      const reply = (await node?.config('GET', 'maxmemory-policy')) as unknown;
      return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
    } catch {
      return undefined;
    }
  }

  private waitUntilReady(timeoutMs: number): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      this.client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The underlying client, for a lib that needs a Redis feature the Store does not expose. */
  get redis(): Redis | Cluster {
    return this.client;
  }

  key(key: string): string {
    return this.prefix + key;
  }

  /**
   * Runs one Redis command; a failure that means "no answer" becomes a StoreUnavailableError. The
   * command timeout is counted from this call, not from when ioredis sends the command: with
   * auto-pipelining, a command issued while an earlier pipeline to the same node is in flight waits
   * for that one to finish, so on a frozen Redis ioredis' own timer alone let a call take ~2× the
   * timeout.
   */
  private command<T>(operation: string, call: () => Promise<T>): Promise<T> {
    // One promise and one timer per call (this runs several times per request): no Promise.race,
    // no async wrapper.
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new StoreUnavailableError(operation, new Error(`Command timed out after ${this.commandTimeoutMs} ms`)));
      }, this.commandTimeoutMs);
      const fail = (error: unknown): void => {
        clearTimeout(timer);
        // ioredis rejects with Errors; anything else passes through unchanged.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(
          error instanceof StoreUnavailableError || !isOutage(error)
            ? error
            : new StoreUnavailableError(operation, error),
        );
      };
      let reply: Promise<T>;
      try {
        reply = call();
      } catch (error) {
        fail(error);
        return;
      }
      reply.then((value) => {
        clearTimeout(timer);
        resolve(value);
      }, fail);
    });
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.command('get', () => this.client.get(this.key(key)))) ?? undefined;
  }

  async set(key: string, value: string, { ttlMs, ifAbsent = false }: StoreSetOptions): Promise<boolean> {
    assertTtl(ttlMs);
    const reply = await this.command('set', () =>
      ifAbsent
        ? this.client.set(this.key(key), value, 'PX', ttlMs, 'NX')
        : this.client.set(this.key(key), value, 'PX', ttlMs),
    );
    return reply === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    return (await this.command('delete', () => this.client.del(this.key(key)))) > 0;
  }

  async increment(key: string, { ttlMs, by = 1 }: StoreIncrementOptions): Promise<number> {
    assertTtl(ttlMs);
    return this.run(INCREMENT, [key], [by, ttlMs]);
  }

  async take(key: string): Promise<string | undefined> {
    return (await this.command('take', () => this.client.getdel(this.key(key)))) ?? undefined;
  }

  async run<R>(script: StoreScript<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R> {
    // EVALSHA with an EVAL fallback on NOSCRIPT (after a restart or failover), by hand rather than
    // through ioredis' defineCommand: ioredis 6 copies custom commands into an auto-pipeline when
    // the pipeline is created, so a script first defined while a pipeline is pending is missing
    // from it, and ioredis then throws an uncaught TypeError that kills the process. EVALSHA is a
    // built-in command every pipeline has; still one round trip.
    let sha = this.shas.get(script.name);
    if (sha === undefined) {
      sha = createHash('sha1').update(script.lua).digest('hex');
      this.shas.set(script.name, sha);
    }
    const prefixed = keys.map((k) => this.key(k));
    const { waitForReplicas } = this;
    const reply = await this.command(script.name, () =>
      waitForReplicas
        ? this.runAcknowledged(script, sha, prefixed, args, waitForReplicas)
        : this.client.evalsha(sha, keys.length, ...prefixed, ...args).catch((error: unknown) => {
            if (!isNoScript(error)) throw error;
            return this.client.eval(script.lua, keys.length, ...prefixed, ...args);
          }),
    );
    return script.parse(reply);
  }

  /**
   * The script and `WAIT` in one pipeline: one round trip, on the node that ran the script (a
   * cluster pipeline goes to the node of its keyed commands). Not acknowledged in time is an
   * outage: the write may be lost in a failover.
   */
  private async runAcknowledged(
    script: StoreScript<unknown>,
    sha: string,
    keys: string[],
    args: readonly (string | number)[],
    { replicas, timeoutMs }: { replicas: number; timeoutMs: number },
  ): Promise<unknown> {
    const attempt = async (useSha: boolean): Promise<[Error | null, unknown][]> => {
      const pipeline = this.client.pipeline();
      if (useSha) pipeline.evalsha(sha, keys.length, ...keys, ...args);
      else pipeline.eval(script.lua, keys.length, ...keys, ...args);
      pipeline.call('WAIT', replicas, timeoutMs);
      return (await pipeline.exec()) ?? [];
    };
    let results = await attempt(true);
    if (isNoScript(results[0]?.[0])) results = await attempt(false);
    const [[scriptError, reply] = [null, undefined], [waitError, acknowledged] = [null, 0]] = results;
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    if (Number(acknowledged) < replicas) {
      throw new Error(`${String(acknowledged)} of ${replicas} replicas acknowledged within ${timeoutMs} ms`);
    }
    return reply;
  }

  /** Redis pub/sub on `<keyPrefix><channel>`, through a connection of its own (see {@link RedisNotices}). */
  subscribe(channel: string, listener: StoreListener): () => void {
    this.notices ??= new RedisNotices(this.client);
    return this.notices.subscribe(this.key(channel), listener);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.command('publish', () => this.client.publish(this.key(channel), message));
  }

  async ping(): Promise<void> {
    await this.command('ping', () => this.client.ping());
  }

  async close(): Promise<void> {
    this.notices?.close();
    if (this.ownsClient && this.client.status !== 'end') await this.client.quit().catch(() => this.client.disconnect());
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** INCRBY that sets the TTL only on creation, in one atomic step (Redis only: MemoryStore has its own). */
const INCREMENT: StoreScript<number> = {
  name: 'rampartIncrement',
  lua: `local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`,
  local: () => {
    throw new Error('rampartIncrement runs on Redis only');
  },
  parse: Number,
};
