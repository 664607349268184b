import { defineStoreScript } from '@rampart/core';

/**
 * The list of bans, for the admin API: one sorted set (client → until, epoch ms) beside the ban
 * keys, which stay the truth the request path reads. Bounded: past `cap` entries the ones that
 * end first leave the list (their bans still apply); expired entries are dropped on each write
 * and read. In memory, a Map with the same semantics.
 */

type Index = Map<string, number>;

const indexOf = (value: unknown): Index => (value instanceof Map ? (value as Index) : new Map<string, number>());

function dropExpired(index: Index, now: number): void {
  for (const [client, until] of index) if (until <= now) index.delete(client);
}

/** KEYS = index; ARGV = client, until, now, cap. */
export const BAN_INDEX_ADD = defineStoreScript<number>({
  name: 'rampartThreatBanIndexAdd',
  lua: `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if extra > 0 then redis.call('ZPOPMIN', KEYS[1], extra) end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - tonumber(ARGV[3])))
return 1`,
  local: (ctx, [key = ''], [client, until, now, cap]) => {
    const index = indexOf(ctx.get(key));
    dropExpired(index, Number(now));
    index.set(String(client), Number(until));
    while (index.size > Number(cap)) {
      let first: [string, number] | undefined;
      for (const entry of index) if (!first || entry[1] < first[1]) first = entry;
      if (first) index.delete(first[0]);
    }
    ctx.set(key, index, Math.max(1, Math.max(...index.values()) - Number(now)));
    return 1;
  },
  parse: Number,
});

/** KEYS = index; ARGV = client. */
export const BAN_INDEX_REMOVE = defineStoreScript<number>({
  name: 'rampartThreatBanIndexRemove',
  lua: `return redis.call('ZREM', KEYS[1], ARGV[1])`,
  local: (ctx, [key = ''], [client]) => {
    const index = ctx.get(key);
    return index instanceof Map && (index as Index).delete(String(client)) ? 1 : 0;
  },
  parse: Number,
});

/** KEYS = index; ARGV = now, limit. Returns [client, until][] in the order the bans end. */
export const BAN_INDEX_LIST = defineStoreScript<[string, number][]>({
  name: 'rampartThreatBanIndexList',
  lua: `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')`,
  local: (ctx, [key = ''], [now, limit]) => {
    const index = ctx.get(key);
    if (!(index instanceof Map)) return [];
    dropExpired(index as Index, Number(now));
    return [...(index as Index)].sort((a, b) => a[1] - b[1]).slice(0, Number(limit));
  },
  parse: (reply) => {
    if (!Array.isArray(reply)) return [];
    const pairs: [string, number][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([String(reply[i]), Number(reply[i + 1])]);
    return pairs;
  },
});
