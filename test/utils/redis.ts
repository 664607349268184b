import { MemoryStore, RedisStore, type Store } from '@rampart/core';
import { Cluster, Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, inject } from 'vitest';
import { parseClusterNodes } from './global-setup';

/** The Redis URL for tests ('' when none answers; see global-setup). */
export const redisUrl = inject('redisUrl');

/** The Redis Cluster start-up nodes for tests ('' when none answers; see global-setup). */
export const redisClusterNodes = inject('redisClusterNodes');

/** `describe` when Redis answers, `describe.skip` otherwise. */
export const describeWithRedis = redisUrl ? describe : describe.skip;

/** `describe` when the Redis Cluster answers, `describe.skip` otherwise. */
export const describeWithCluster = redisClusterNodes ? describe : describe.skip;

/** A key prefix no other test run shares, so runs never see or delete each other's keys. */
export function uniqueKeyPrefix(scope: string): string {
  return `rampart-test:${scope}:${randomUUID()}:`;
}

/** A new client of the test cluster (the caller closes it). */
export function clusterClient(): Cluster {
  return new Cluster(parseClusterNodes(redisClusterNodes), { redisOptions: { maxRetriesPerRequest: 1 } });
}

/** One place Rampart's state can live; every store contract runs on each. */
export interface Backend {
  readonly name: 'memory' | 'redis' | 'cluster';
  /** A new store (the caller closes it); Redis keys under `keyPrefix`. */
  store(keyPrefix: string): Promise<Store>;
  /** A raw client of this backend (the caller closes it); undefined for memory. */
  client(): Redis | Cluster | undefined;
  /** Removes every key under `keyPrefix` (from each primary on the cluster). */
  clean(keyPrefix: string): Promise<void>;
}

async function deleteByPrefix(client: Redis, keyPrefix: string): Promise<void> {
  const keys = await client.keys(`${keyPrefix}*`);
  // One DEL per key: keys of a prefix span many cluster slots.
  await Promise.all(keys.map((key) => client.del(key)));
}

const memory: Backend = {
  name: 'memory',
  store: async () => new MemoryStore(),
  client: () => undefined,
  clean: async () => undefined,
};

const redis: Backend = {
  name: 'redis',
  store: (keyPrefix) => RedisStore.create({ url: redisUrl, keyPrefix }),
  client: () => new Redis(redisUrl),
  async clean(keyPrefix) {
    const client = new Redis(redisUrl);
    await deleteByPrefix(client, keyPrefix);
    await client.quit();
  },
};

const cluster: Backend = {
  name: 'cluster',
  store: (keyPrefix) => RedisStore.create({ cluster: { nodes: parseClusterNodes(redisClusterNodes) }, keyPrefix }),
  client: clusterClient,
  async clean(keyPrefix) {
    const client = clusterClient();
    await new Promise((resolve) => client.once('ready', resolve));
    await Promise.all(client.nodes('master').map((node) => deleteByPrefix(node, keyPrefix)));
    await client.quit();
  },
};

/** Every backend, available or not (an unavailable one is skipped, or fails the run under CI). */
export const backends: readonly Backend[] = [memory, redis, cluster];

function available(backend: Backend): boolean {
  return backend.name === 'memory' || (backend.name === 'redis' ? !!redisUrl : !!redisClusterNodes);
}

/**
 * Runs `suite` once per backend, in a block titled `<title> [backend: <name>]` (CI counts tests
 * per backend from that tag), with a fresh key prefix removed afterwards.
 */
export function describeEachBackend(
  title: string,
  suite: (backend: Backend, keyPrefix: string) => void,
  only: readonly Backend['name'][] = ['memory', 'redis', 'cluster'],
): void {
  for (const backend of backends) {
    if (!only.includes(backend.name)) continue;
    (available(backend) ? describe : describe.skip)(`${title} [backend: ${backend.name}]`, () => {
      const keyPrefix = uniqueKeyPrefix(title.replace(/\W+/g, '-'));
      afterAll(() => backend.clean(keyPrefix));
      suite(backend, keyPrefix);
    });
  }
}
