import { defineStoreScript, type LocalScriptContext } from '@rampart/core';

/**
 * What one counted event did to its rule's incident. `Fired`: this call crossed the threshold and
 * opened the incident, so its caller notifies and no one else; `OpenBelow`: an incident is open,
 * this window is below the threshold.
 */
export const HitState = { Quiet: 0, Fired: 1, Ongoing: 2, OpenBelow: 3 } as const;
export type HitState = (typeof HitState)[keyof typeof HitState];

export interface HitResult {
  state: HitState;
  count: number;
}

/**
 * Counts an event for a (rule, group) over a sliding window and opens an incident atomically.
 * The window is the sliding-window counter (current and previous fixed windows, the previous
 * weighted by its overlap), O(1) memory per group. KEYS: counter, active, open (one hash tag).
 * ARGV: windowMs, threshold. The incident stays `active` while over-threshold events keep coming
 * (refreshed to one window); `open` marks it fired until a recovery check claims it.
 */
export const alertHitScript = defineStoreScript<HitResult>({
  name: 'rampartAuditAlertHit',
  lua: `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local w = tonumber(ARGV[1])
local threshold = tonumber(ARGV[2])
local bucket = now - (now % w)
local data = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local s = tonumber(data[1])
local c = tonumber(data[2]) or 0
local p = tonumber(data[3]) or 0
if s == nil then s = bucket; c = 0; p = 0
elseif bucket ~= s then
  if bucket - s == w then p = c else p = 0 end
  c = 0; s = bucket
end
c = c + 1
redis.call('HSET', KEYS[1], 's', s, 'c', c, 'p', p)
redis.call('PEXPIRE', KEYS[1], 2 * w)
local count = c + math.floor(p * (w - (now - s)) / w)
if count >= threshold then
  redis.call('SET', KEYS[2], '1', 'PX', w)
  if redis.call('SET', KEYS[3], '1', 'NX', 'PX', 4 * w) then return {1, count} end
  redis.call('PEXPIRE', KEYS[3], 4 * w)
  return {2, count}
end
if redis.call('EXISTS', KEYS[3]) == 1 then return {3, count} end
return {0, count}
`,
  local(ctx: LocalScriptContext, keys, args) {
    const [counterKey, activeKey, openKey] = keys as [string, string, string];
    const w = Number(args[0]);
    const threshold = Number(args[1]);
    const now = ctx.now();
    const bucket = now - (now % w);
    let state = ctx.get(counterKey) as { s: number; c: number; p: number } | undefined;
    if (!state) state = { s: bucket, c: 0, p: 0 };
    else if (bucket !== state.s) state = { s: bucket, c: 0, p: bucket - state.s === w ? state.c : 0 };
    state = { ...state, c: state.c + 1 };
    ctx.set(counterKey, state, 2 * w);
    const count = state.c + Math.floor((state.p * (w - (now - state.s))) / w);
    if (count >= threshold) {
      ctx.set(activeKey, '1', w);
      const open = ctx.get(openKey) !== undefined;
      ctx.set(openKey, '1', 4 * w);
      return { state: open ? HitState.Ongoing : HitState.Fired, count };
    }
    return { state: ctx.get(openKey) !== undefined ? HitState.OpenBelow : HitState.Quiet, count };
  },
  parse(reply) {
    const [state, count] = reply as [number | string, number | string];
    return { state: Number(state) as HitState, count: Number(count) };
  },
});

/** 1: the incident is over and this caller claimed the recovery; 0: still active; -1: no open incident. */
export const alertRecoverScript = defineStoreScript<-1 | 0 | 1>({
  name: 'rampartAuditAlertRecover',
  lua: `
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
return 1
`,
  local(ctx, keys) {
    const [activeKey, openKey] = keys as [string, string];
    if (ctx.get(openKey) === undefined) return -1;
    if (ctx.get(activeKey) !== undefined) return 0;
    ctx.delete(openKey);
    return 1;
  },
  parse: (reply) => Number(reply) as -1 | 0 | 1,
});
