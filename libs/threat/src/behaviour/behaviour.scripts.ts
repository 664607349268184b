import { defineStoreScript, type LocalScriptContext } from '@rampart/core';

/**
 * Behaviour counters live in fixed windows (`…:<window number>`), and each signal reads the
 * current and the previous window: counts are weighted into a sliding estimate, distinct sets are
 * united. Keys expire two windows after their window starts, so nothing lasts longer than needed.
 *
 * Distinct endpoints are a HyperLogLog on Redis (12 kB at most per key, whatever a scanner sends)
 * and, in memory, a set capped at `cap` members: once past the cap the count is already far over
 * any threshold, so counting further would buy nothing and cost memory a client controls.
 */

function bump(ctx: LocalScriptContext, key: string, by: number, ttlMs: number): number {
  const next = Number(ctx.get(key) ?? 0) + by;
  ctx.set(key, next, ttlMs);
  return next;
}

function addDistinct(ctx: LocalScriptContext, key: string, member: string, ttlMs: number, cap: number): void {
  const existing = ctx.get(key);
  const set = existing instanceof Set ? (existing as Set<string>) : new Set<string>();
  if (set.size < cap) set.add(member);
  ctx.set(key, set, ttlMs);
}

function countDistinct(ctx: LocalScriptContext, current: string, previous: string): number {
  const a = ctx.get(current);
  const b = ctx.get(previous);
  const mine = a instanceof Set ? (a as Set<string>) : undefined;
  let count = mine?.size ?? 0;
  if (b instanceof Set) for (const member of b as Set<string>) if (!mine?.has(member)) count++;
  return count;
}

const numbers = (reply: unknown): number[] => (reply as unknown[]).map(Number);

/** The n-th key or argument; scripts are always called with all of them. */
const at = (list: readonly (string | number)[], index: number): string => String(list[index] ?? '');

/**
 * A client's responses since the last flush: KEYS = rate (cur, prev), total (cur, prev), errors
 * (cur, prev), endpoints (cur, prev); ARGV = requests, errors, rate TTL, error-window TTL, scan
 * TTL, cap, then the distinct endpoints seen (at least one).
 * Returns [rate, ratePrev, total, totalPrev, errors, errorsPrev, distinctEndpoints].
 */
export const OBSERVE = defineStoreScript<number[]>({
  name: 'rampartThreatObserveBatch',
  lua: `local function bump(key, by, ttl)
  local v = redis.call('INCRBY', key, by)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ttl) end
  return v
end
local function read(key) return tonumber(redis.call('GET', key) or '0') end
local r = bump(KEYS[1], ARGV[1], ARGV[3])
local t = bump(KEYS[3], ARGV[1], ARGV[4])
local e = bump(KEYS[5], ARGV[2], ARGV[4])
redis.call('PFADD', KEYS[7], unpack(ARGV, 7))
if redis.call('PTTL', KEYS[7]) < 0 then redis.call('PEXPIRE', KEYS[7], ARGV[5]) end
return {r, read(KEYS[2]), t, read(KEYS[4]), e, read(KEYS[6]), redis.call('PFCOUNT', KEYS[7], KEYS[8])}`,
  local: (ctx, keys, args) => {
    const key = (i: number): string => at(keys, i);
    const arg = (i: number): number => Number(args[i]);
    const r = bump(ctx, key(0), arg(0), arg(2));
    const t = bump(ctx, key(2), arg(0), arg(3));
    const e = bump(ctx, key(4), arg(1), arg(3));
    for (let i = 6; i < args.length; i++) addDistinct(ctx, key(6), at(args, i), arg(4), arg(5));
    const read = (i: number): number => Number(ctx.get(key(i)) ?? 0);
    return [r, read(1), t, read(3), e, read(5), countDistinct(ctx, key(6), key(7))];
  },
  parse: numbers,
});

/** KEYS = counter (cur, prev); ARGV = TTL. Returns [current, previous] after adding one. */
export const COUNT = defineStoreScript<number[]>({
  name: 'rampartThreatCount',
  lua: `local v = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {v, tonumber(redis.call('GET', KEYS[2]) or '0')}`,
  local: (ctx, keys, args) => [bump(ctx, at(keys, 0), 1, Number(args[0])), Number(ctx.get(at(keys, 1)) ?? 0)],
  parse: numbers,
});

/** KEYS = set (cur, prev); ARGV = member, TTL, cap. Returns the distinct count over both windows. */
export const DISTINCT = defineStoreScript<number>({
  name: 'rampartThreatDistinct',
  lua: `redis.call('PFADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('PFCOUNT', KEYS[1], KEYS[2])`,
  local: (ctx, keys, args) => {
    addDistinct(ctx, at(keys, 0), at(args, 0), Number(args[1]), Number(args[2]));
    return countDistinct(ctx, at(keys, 0), at(keys, 1));
  },
  parse: Number,
});
