import { defineStoreScript, type LocalScriptContext } from '@rampart/core';

/**
 * One rate-limit decision over every tier of a policy, atomically: the request is admitted only if
 * every tier admits it, and only then is anything recorded. A denied request changes no counter
 * (a tier with `blockFor` records its block, which is the point of that option).
 *
 * KEYS: for each tier, its state key, then its block key if the tier has a block time (all under
 * one `{hash tag}`).
 * ARGV: cost, then one string with each tier's algorithm (`log` | `window` | `bucket`), limit,
 * window ms and block ms, space-separated. One argument rather than four per tier: the client
 * encodes every argument, and this runs on every request.
 * Reply: admitted (1/0), then for each tier: remaining, reset ms, denied-by-this-tier (1/0).
 *
 * "Reset" is what a client needs next: for a tier with quota left, the time until its quota is
 * full again; for a tier without (or that denied), the time until it admits the request again.
 *
 * The Lua and the TypeScript twin below implement the same arithmetic line for line; the shared
 * contract spec runs against both.
 */

/** Slack for floating-point comparisons of the token bucket (1 ns). */
const EPSILON = 1e-6;

const LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local stamp = t[1] .. '.' .. t[2]
local cost = tonumber(ARGV[1])
local spec = {}
for word in string.gmatch(ARGV[2] or '', '%S+') do spec[#spec + 1] = word end
local n = #spec / 4
local EPS = ${EPSILON}
local tiers = {}
local admitted = true

local k = 1
for i = 1, n do
  local a = (i - 1) * 4
  local tier = { algo = spec[a + 1], limit = tonumber(spec[a + 2]), window = tonumber(spec[a + 3]),
    block = tonumber(spec[a + 4]), key = KEYS[k], blocked = 0 }
  k = k + 1
  if tier.block > 0 then
    tier.blockKey = KEYS[k]
    k = k + 1
    local pttl = redis.call('PTTL', tier.blockKey)
    if pttl > 0 then tier.blocked = pttl end
  end
  if tier.algo == 'log' then
    redis.call('ZREMRANGEBYSCORE', tier.key, '-inf', now - tier.window)
    tier.count = redis.call('ZCARD', tier.key)
    tier.ok = tier.count + cost <= tier.limit
  elseif tier.algo == 'window' then
    tier.idx = math.floor(now / tier.window)
    local h = redis.call('HMGET', tier.key, 'w', 'c', 'p')
    local w, c, p = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0
    tier.sameWindow = w == tier.idx
    tier.cur, tier.prev = 0, 0
    if w == tier.idx then tier.cur, tier.prev = c, p elseif w == tier.idx - 1 then tier.prev = c end
    local frac = (now - tier.idx * tier.window) / tier.window
    tier.ok = tier.prev * (1 - frac) + tier.cur + cost <= tier.limit
  else
    tier.interval = tier.window / tier.limit
    local tat = tonumber(redis.call('GET', tier.key)) or now
    if tat < now then tat = now end
    tier.tat = tat
    tier.ok = tat + cost * tier.interval - now <= tier.window + EPS
  end
  if tier.blocked > 0 then tier.ok = false end
  if not tier.ok then admitted = false end
  tiers[i] = tier
end

local function remaining(tier)
  if tier.algo == 'log' then return tier.limit - tier.count end
  if tier.algo == 'window' then
    local frac = (now - tier.idx * tier.window) / tier.window
    return math.max(0, math.floor(tier.limit - (tier.prev * (1 - frac) + tier.cur)))
  end
  return math.max(0, math.min(tier.limit, math.floor((tier.window - (tier.tat - now)) / tier.interval + EPS)))
end

local function fullReset(tier)
  if tier.algo == 'log' then
    if tier.count == 0 then return 0 end
    local newest = redis.call('ZRANGE', tier.key, -1, -1, 'WITHSCORES')
    return tonumber(newest[2]) + tier.window - now
  end
  if tier.algo == 'window' then
    if tier.cur > 0 then return (tier.idx + 2) * tier.window - now end
    if tier.prev > 0 then return (tier.idx + 1) * tier.window - now end
    return 0
  end
  return tier.tat - now
end

local function waitFor(tier, need)
  if need > tier.limit then return 2 * tier.window end
  if tier.algo == 'log' then
    local index = tier.count + need - tier.limit - 1
    if index < 0 then return 0 end
    local entry = redis.call('ZRANGE', tier.key, index, index, 'WITHSCORES')
    return tonumber(entry[2]) + tier.window - now
  end
  if tier.algo == 'window' then
    if tier.cur + need <= tier.limit then
      if tier.prev <= 0 then return 0 end
      local f = 1 - (tier.limit - tier.cur - need) / tier.prev
      return math.max(0, (tier.idx + f) * tier.window - now)
    end
    local g = 1 - (tier.limit - need) / tier.cur
    return (tier.idx + 1 + g) * tier.window - now
  end
  return math.max(0, tier.tat + need * tier.interval - tier.window - now)
end

local out = { admitted and 1 or 0 }
for i = 1, n do
  local tier = tiers[i]
  if admitted then
    if tier.algo == 'log' then
      for j = 1, cost do
        redis.call('ZADD', tier.key, now, stamp .. ':' .. (tier.count + j))
      end
      tier.count = tier.count + cost
      redis.call('PEXPIRE', tier.key, math.ceil(tier.window))
    elseif tier.algo == 'window' then
      tier.cur = tier.cur + cost
      if tier.sameWindow then
        -- Same window: only the count moves; the expiry, set when the window began, still holds.
        redis.call('HSET', tier.key, 'c', tier.cur)
      else
        redis.call('HSET', tier.key, 'w', tier.idx, 'c', tier.cur, 'p', tier.prev)
        redis.call('PEXPIRE', tier.key, math.ceil((tier.idx + 2) * tier.window - now))
      end
    else
      tier.tat = tier.tat + cost * tier.interval
      redis.call('SET', tier.key, string.format('%.3f', tier.tat), 'PX', math.max(1, math.ceil(tier.tat - now)))
    end
  end
  local rem = remaining(tier)
  local reset
  if tier.blocked > 0 then
    rem, reset = 0, tier.blocked
  elseif not tier.ok and tier.block > 0 then
    redis.call('SET', tier.blockKey, '1', 'PX', tier.block)
    rem, reset = 0, tier.block
  elseif not tier.ok then
    reset = waitFor(tier, cost)
  elseif rem >= 1 then
    reset = fullReset(tier)
  else
    reset = waitFor(tier, 1)
  end
  out[#out + 1] = rem
  out[#out + 1] = math.max(0, math.ceil(reset))
  out[#out + 1] = tier.ok and 0 or 1
end
return out
`;

type Algo = 'log' | 'window' | 'bucket';

interface LocalTier {
  algo: Algo;
  limit: number;
  window: number;
  block: number;
  key: string;
  blockKey: string;
  blocked: number;
  ok: boolean;
  log: number[];
  idx: number;
  /** The stored state of a sliding-window tier when it is for the current window (updated in place). */
  state: WindowState | undefined;
  cur: number;
  prev: number;
  interval: number;
  tat: number;
}

interface WindowState {
  w: number;
  c: number;
  p: number;
}

/** Shared by tiers that keep no log; never written (only `log` tiers push, onto their own array). */
const NO_LOG: number[] = [];

function remaining(tier: LocalTier, now: number): number {
  if (tier.algo === 'log') return tier.limit - tier.log.length;
  if (tier.algo === 'window') {
    const frac = (now - tier.idx * tier.window) / tier.window;
    return Math.max(0, Math.floor(tier.limit - (tier.prev * (1 - frac) + tier.cur)));
  }
  return Math.max(0, Math.min(tier.limit, Math.floor((tier.window - (tier.tat - now)) / tier.interval + EPSILON)));
}

function fullReset(tier: LocalTier, now: number): number {
  if (tier.algo === 'log') return tier.log.length === 0 ? 0 : (tier.log.at(-1) ?? now) + tier.window - now;
  if (tier.algo === 'window') {
    if (tier.cur > 0) return (tier.idx + 2) * tier.window - now;
    if (tier.prev > 0) return (tier.idx + 1) * tier.window - now;
    return 0;
  }
  return tier.tat - now;
}

function waitFor(tier: LocalTier, need: number, now: number): number {
  if (need > tier.limit) return 2 * tier.window;
  if (tier.algo === 'log') {
    const index = tier.log.length + need - tier.limit - 1;
    return index < 0 ? 0 : (tier.log[index] ?? now) + tier.window - now;
  }
  if (tier.algo === 'window') {
    if (tier.cur + need <= tier.limit) {
      if (tier.prev <= 0) return 0;
      const f = 1 - (tier.limit - tier.cur - need) / tier.prev;
      return Math.max(0, (tier.idx + f) * tier.window - now);
    }
    const g = 1 - (tier.limit - need) / tier.cur;
    return (tier.idx + 1 + g) * tier.window - now;
  }
  return Math.max(0, tier.tat + need * tier.interval - tier.window - now);
}

/** The in-memory twin of {@link LUA}: same steps, same arithmetic, synchronous (so atomic). */
function decideLocally(ctx: LocalScriptContext, keys: readonly string[], args: readonly (string | number)[]): number[] {
  const now = ctx.now();
  const cost = Number(args[0]);
  const spec = args[1] ? String(args[1]).split(' ') : [];
  const n = spec.length / 4;
  const tiers = new Array<LocalTier>(n);
  let admitted = true;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const a = i * 4;
    const block = Number(spec[a + 3]);
    const tier: LocalTier = {
      algo: spec[a] as Algo,
      limit: Number(spec[a + 1]),
      window: Number(spec[a + 2]),
      block,
      key: keys[k++] ?? '',
      blockKey: block > 0 ? (keys[k++] ?? '') : '',
      blocked: 0,
      ok: false,
      log: NO_LOG,
      idx: 0,
      state: undefined,
      cur: 0,
      prev: 0,
      interval: 0,
      tat: 0,
    };
    if (tier.block > 0) {
      const until = ctx.get(tier.blockKey) as number | undefined;
      if (until !== undefined && until > now) tier.blocked = until - now;
    }
    if (tier.algo === 'log') {
      const log = (ctx.get(tier.key) as number[] | undefined) ?? [];
      let expired = 0;
      while (expired < log.length && (log[expired] ?? 0) <= now - tier.window) expired++;
      if (expired > 0) log.splice(0, expired);
      if (log.length === 0) ctx.delete(tier.key);
      tier.log = log;
      tier.ok = log.length + cost <= tier.limit;
    } else if (tier.algo === 'window') {
      tier.idx = Math.floor(now / tier.window);
      const state = ctx.get(tier.key) as WindowState | undefined;
      if (state?.w === tier.idx) {
        tier.state = state;
        tier.cur = state.c;
        tier.prev = state.p;
      } else if (state?.w === tier.idx - 1) {
        tier.prev = state.c;
      }
      const frac = (now - tier.idx * tier.window) / tier.window;
      tier.ok = tier.prev * (1 - frac) + tier.cur + cost <= tier.limit;
    } else {
      tier.interval = tier.window / tier.limit;
      tier.tat = Math.max(now, (ctx.get(tier.key) as number | undefined) ?? now);
      tier.ok = tier.tat + cost * tier.interval - now <= tier.window + EPSILON;
    }
    if (tier.blocked > 0) tier.ok = false;
    if (!tier.ok) admitted = false;
    tiers[i] = tier;
  }

  const out = new Array<number>(1 + 3 * n);
  out[0] = admitted ? 1 : 0;
  let i = 0;
  for (const tier of tiers) {
    if (admitted) {
      if (tier.algo === 'log') {
        for (let j = 0; j < cost; j++) tier.log.push(now);
        ctx.set(tier.key, tier.log, Math.ceil(tier.window));
      } else if (tier.algo === 'window') {
        tier.cur += cost;
        if (tier.state) {
          // Same window: only the count moves; the expiry, set when the window began, still holds.
          tier.state.c = tier.cur;
        } else {
          const state: WindowState = { w: tier.idx, c: tier.cur, p: tier.prev };
          ctx.set(tier.key, state, Math.ceil((tier.idx + 2) * tier.window - now));
        }
      } else {
        tier.tat += cost * tier.interval;
        ctx.set(tier.key, tier.tat, Math.max(1, Math.ceil(tier.tat - now)));
      }
    }
    let rem = remaining(tier, now);
    let reset: number;
    if (tier.blocked > 0) {
      rem = 0;
      reset = tier.blocked;
    } else if (!tier.ok && tier.block > 0) {
      ctx.set(tier.blockKey, now + tier.block, tier.block);
      rem = 0;
      reset = tier.block;
    } else if (!tier.ok) {
      reset = waitFor(tier, cost, now);
    } else if (rem >= 1) {
      reset = fullReset(tier, now);
    } else {
      reset = waitFor(tier, 1, now);
    }
    out[1 + 3 * i] = rem;
    out[2 + 3 * i] = Math.max(0, Math.ceil(reset));
    out[3 + 3 * i] = tier.ok ? 0 : 1;
    i++;
  }
  return out;
}

export const DECISION_SCRIPT = defineStoreScript<number[]>({
  name: 'rampartRateLimitDecide',
  lua: LUA,
  local: decideLocally,
  parse: (reply) => (reply as (number | string)[]).map(Number),
});
