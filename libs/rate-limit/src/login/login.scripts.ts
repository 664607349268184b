import { declareSecurityState, defineStoreScript } from '@rampart/core';

// A login block is security state: counters of a flood of other clients must not evict it.
declareSecurityState('login-blocks', (key) => key.endsWith(':blocked'));

/** A failure counter in memory: the count and when its window ends (Redis keeps the TTL itself). */
interface Counter {
  count: number;
  expires: number;
}

const arg = (args: readonly (string | number)[], index: number): number => Number(args[index]);
const key = (keys: readonly string[], index: number): string => keys[index] ?? '';

/**
 * One login attempt of one subject (an IP or an account): KEYS = failure counter, block;
 * ARGV = failures allowed, window ms, block ms. Returns 0 when the attempt may go ahead (it is
 * counted now, as a failure until the caller reports a success), or the milliseconds until the
 * subject may try again. Counting before the password is checked is what makes the limit hold
 * under a burst of parallel guesses: a check-then-record pair would let them all through.
 */
export const LOGIN_ATTEMPT = defineStoreScript<number>({
  name: 'rampartLoginAttempt',
  lua: `local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return blocked end
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return tonumber(ARGV[3])
end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
  local: (ctx, keys, args) => {
    const now = ctx.now();
    const blockedUntil = ctx.get(key(keys, 1)) as number | undefined;
    if (blockedUntil !== undefined && blockedUntil > now) return blockedUntil - now;
    const counter = ctx.get(key(keys, 0)) as Counter | undefined;
    if ((counter?.count ?? 0) >= arg(args, 0)) {
      ctx.set(key(keys, 1), now + arg(args, 2), arg(args, 2));
      ctx.delete(key(keys, 0));
      return arg(args, 2);
    }
    if (counter === undefined) ctx.set(key(keys, 0), { count: 1, expires: now + arg(args, 1) }, arg(args, 1));
    else ctx.set(key(keys, 0), { ...counter, count: counter.count + 1 }, Math.max(1, counter.expires - now));
    return 0;
  },
  parse: Number,
});

/**
 * A login succeeded: KEYS = failure counter; ARGV = `reset` (the account: its failures are
 * forgiven) or `refund` (the IP: this attempt was not a failure, its earlier ones still count).
 */
export const LOGIN_SUCCEEDED = defineStoreScript<number>({
  name: 'rampartLoginSucceeded',
  lua: `if ARGV[1] == 'reset' then return redis.call('DEL', KEYS[1]) end
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0`,
  local: (ctx, keys, args) => {
    const counter = ctx.get(key(keys, 0)) as Counter | undefined;
    if (counter === undefined) return 0;
    if (args[0] === 'reset') {
      ctx.delete(key(keys, 0));
      return 1;
    }
    const now = ctx.now();
    if (counter.count > 0)
      ctx.set(key(keys, 0), { ...counter, count: counter.count - 1 }, Math.max(1, counter.expires - now));
    return 0;
  },
  parse: Number,
});
