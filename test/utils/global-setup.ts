import { Cluster, Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis URL tests may use, or '' when no Redis answers. */
    redisUrl: string;
    /** The Redis Cluster start-up nodes (`host:port,…`) tests may use, or '' when none answers. */
    redisClusterNodes: string;
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

/** Parses `host:port,host:port` into ioredis Cluster start-up nodes. */
export function parseClusterNodes(list: string): { host: string; port: number }[] {
  return list
    .split(',')
    .filter(Boolean)
    .map((node) => {
      const [host = '127.0.0.1', port = '0'] = node.trim().split(':');
      return { host, port: Number(port) };
    });
}

async function clusterAnswers(list: string): Promise<boolean> {
  const cluster = new Cluster(parseClusterNodes(list), {
    clusterRetryStrategy: () => null,
    redisOptions: { connectTimeout: 1000, maxRetriesPerRequest: 0 },
  });
  cluster.on('error', () => undefined);
  try {
    const info = await Promise.race([
      cluster.cluster('INFO'),
      new Promise<string>((resolve) => setTimeout(() => resolve(''), 3000).unref()),
    ]);
    return /cluster_state:ok/.test(info);
  } catch {
    return false;
  } finally {
    cluster.disconnect();
  }
}

/**
 * Finds out once whether Redis and the Redis Cluster answer; tests that need them are skipped,
 * loudly, when they do not, and fail under CI=true (CI must run every backend).
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const ci = process.env.CI === 'true';
  if (await redisAnswers(url)) {
    project.provide('redisUrl', url);
  } else {
    if (ci) throw new Error(`CI=true and no Redis answers at ${url}: the Redis tests cannot be skipped in CI.`);
    console.warn(
      `\n!!! No Redis answers at ${url}: every Redis-backed test is SKIPPED. Start Redis to run them. !!!\n`,
    );
    project.provide('redisUrl', '');
  }

  const nodes = process.env.REDIS_CLUSTER_NODES ?? '127.0.0.1:7100';
  if (await clusterAnswers(nodes)) {
    project.provide('redisClusterNodes', nodes);
  } else {
    if (ci)
      throw new Error(
        `CI=true and no Redis Cluster answers at ${nodes}: the cluster tests cannot be skipped in CI (npm run redis:cluster).`,
      );
    console.warn(
      `\n!!! No Redis Cluster answers at ${nodes}: every cluster test is SKIPPED. Start one with \`npm run redis:cluster\`. !!!\n`,
    );
    project.provide('redisClusterNodes', '');
  }
}
