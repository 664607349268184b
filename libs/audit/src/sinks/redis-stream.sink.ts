import { createRedisClient, type RedisStoreOptions } from '@rampart/core';
import type { Cluster, Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { AuditEvent } from '../audit-event';
import { matches, type AuditPage, type AuditQuery } from '../history/audit-query';
import type { AuditSink } from './audit-sink';

/** Entries read per round trip while a query filters, and at most per query (a bounded scan). */
const PAGE = 200;
const MAX_SCANNED = 5_000;

/** Where the stream lives: a URL, a Cluster, a Sentinel-managed primary (as core's Store takes them) or your client. */
export type RedisStreamConnection = Pick<RedisStoreOptions, 'url' | 'cluster' | 'sentinel'> & {
  client?: Redis | Cluster;
};

/**
 * A batch in one command: one XADD per event, in order (so their ids are too), then one trim for
 * the batch. ARGV[1] is the bound, the rest are events.
 */
const APPEND = `for i = 2, #ARGV do redis.call('XADD', KEYS[1], '*', 'e', ARGV[i]) end
redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[1])
return #ARGV - 1`;
const APPEND_SHA = createHash('sha1').update(APPEND).digest('hex');

/**
 * Every instance appends to one Redis stream, so the history is shared. `XTRIM … MAXLEN ~ n`
 * after each batch bounds it (Redis trims whole nodes, keeping at least `n`); stream ids are
 * times, so a time range is a range of ids and a cursor is the last id read. A batch is one
 * script call: one command, one round trip and one reply however many events it carries.
 * One key: on a Cluster it lives in one slot, and every batch goes to the node that owns it.
 */
export class RedisStreamAuditSink implements AuditSink {
  readonly name = 'redis';

  private constructor(
    private readonly client: Redis | Cluster,
    private readonly ownsClient: boolean,
    private readonly stream: string,
    private readonly maxLength: number,
  ) {}

  static create(options: RedisStreamConnection & { stream: string; maxLength: number }): RedisStreamAuditSink {
    if (options.client) return new RedisStreamAuditSink(options.client, false, options.stream, options.maxLength);
    // Fail fast (no offline queue, no retries): a write to a dead Redis rejects at once and the
    // batch is dropped and counted, instead of piling up in the client while requests go on.
    const client = createRedisClient(options, 'The Redis audit stream (redis: { url })');
    client.on('error', () => undefined);
    // Each batch is one command already: ioredis' auto-pipelining would wrap it in a pipeline of
    // one (an object, a tick and a callback more per batch). Read per command, so off from here on.
    client.options.enableAutoPipelining = false;
    // Connects in the background (a standalone or Sentinel client is created lazily); until it is
    // up, writes are dropped and counted and queries answer 503, like during any outage.
    if (client.status === 'wait') client.connect().catch(() => undefined);
    return new RedisStreamAuditSink(client, true, options.stream, options.maxLength);
  }

  async write(events: readonly AuditEvent[]): Promise<void> {
    const args: (string | number)[] = [this.maxLength];
    for (const event of events) args.push(JSON.stringify(event));
    try {
      await this.client.evalsha(APPEND_SHA, 1, this.stream, ...args);
    } catch (error) {
      // NOSCRIPT: a restarted or failed-over Redis has lost its script cache; EVAL loads it again.
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      await this.client.eval(APPEND, 1, this.stream, ...args);
    }
  }

  async query(query: AuditQuery): Promise<AuditPage> {
    const events: AuditEvent[] = [];
    const start = query.since === undefined ? '-' : String(query.since);
    let end =
      query.cursor !== undefined
        ? `(${query.cursor}`
        : query.until === undefined
          ? '+'
          : `${query.until}-18446744073709551615`;
    let scanned = 0;
    while (events.length < query.limit && scanned < MAX_SCANNED) {
      const entries = await this.client.xrevrange(this.stream, end, start, 'COUNT', PAGE);
      for (const [id, fields] of entries) {
        scanned++;
        end = `(${id}`;
        const event = parse(id, fields);
        if (event && matches(event, query)) {
          events.push(event);
          if (events.length === query.limit) return { events, nextCursor: id };
        }
      }
      if (entries.length < PAGE) return { events };
    }
    // Scanned the most one query may: the caller continues from here.
    return { events, nextCursor: end.slice(1) };
  }

  /** Entries in the stream now (tests and health). */
  length(): Promise<number> {
    return this.client.xlen(this.stream);
  }

  async check(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.disconnect();
  }
}

function parse(id: string, fields: string[]): AuditEvent | undefined {
  const json = fields[fields.indexOf('e') + 1];
  if (json === undefined) return undefined;
  try {
    return { ...(JSON.parse(json) as AuditEvent), id };
  } catch {
    return undefined;
  }
}
