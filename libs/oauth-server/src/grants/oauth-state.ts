import { Logger } from '@nestjs/common';
import { declareSecurityState, defineStoreScript, StoreUnavailableError, type Store } from '@rampart/core';
import { createHash, randomBytes } from 'node:crypto';
import type { OAuthUser } from '../oauth-interaction';

/** A pending authorization request, kept while the user signs in (RFC 6749 §4.1.1, validated). */
export interface InteractionRecord {
  readonly clientId: string;
  readonly redirectUri: string;
  /** Whether the request named `redirect_uri` (then the token request must name the same). */
  readonly redirectUriGiven: boolean;
  readonly state: string | undefined;
  readonly codeChallenge: string;
  readonly scopes: readonly string[];
  readonly resources: readonly string[];
  /**
   * The DPoP key the code is bound to (RFC 9449 §10): the request's `dpop_jkt`, or the key of the
   * proof sent with the pushed request. Only a token request with a proof of this key redeems it.
   */
  readonly dpopJkt?: string;
}

/** What an authorization code is bound to. */
export interface CodeRecord extends InteractionRecord {
  readonly user: OAuthUser;
  readonly authTime: number;
}

/** A refresh-token family (one grant): fixed at the first exchange, rotation never changes it. */
export interface FamilyRecord {
  readonly clientId: string;
  readonly user: OAuthUser;
  readonly scopes: readonly string[];
  readonly resources: readonly string[];
  readonly authTime: number;
  /** Absolute end of the family, ms since the epoch. */
  readonly expiresAt: number;
  /** A public client's DPoP key thumbprint: every refresh must prove this key (RFC 9449 §5). */
  readonly dpopJkt?: string;
}

export type ConsumeResult = { status: 'ok' } | { status: 'replayed'; grantId: string } | { status: 'missing' };
export type RotateResult = 'ok' | 'missing' | 'revoked' | 'reuse' | 'grace' | 'unknown';

const REVOKED = '!';

/** 256 bits from the CSPRNG, base64url: codes, refresh-token secrets, interaction ids. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Tokens are stored only as hashes: a read of the Store does not yield usable credentials. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

// Keys of one grant share the `{…}` hash tag, so their scripts stay on one Redis Cluster slot.
// One-time codes, used-code markers, refresh families and grants (and every later `oauth:` state:
// request_uris, replay caches) are security state the memory store never evicts for counters.
// Pending interactions (anyone can start one) get a partition of their own, so a flood of them can
// fill only theirs, never crowd out codes or revocations.
declareSecurityState('oauth-interactions', (key) => key.startsWith('oauth:interaction:'));
declareSecurityState('oauth', (key) => key.startsWith('oauth:') && !key.startsWith('oauth:interaction:'));

const codeKey = (hash: string): string => `oauth:code:{${hash}}`;
const codeUsedKey = (hash: string): string => `oauth:code-used:{${hash}}`;
const grantKey = (grantId: string): string => `oauth:grant:{${grantId}}`;
const refreshKey = (grantId: string): string => `oauth:rt:{${grantId}}`;
const familyKey = (grantId: string): string => `oauth:family:{${grantId}}`;
const usedRefreshKey = (grantId: string, hash: string): string => `oauth:rt-used:{${grantId}}:${hash}`;
const interactionKey = (id: string): string => `oauth:interaction:${id}`;
const pushedKey = (hash: string): string => `oauth:par:${hash}`;

/**
 * Marks a code consumed, once: of concurrent exchanges exactly one gets `ok`. The record is kept
 * (for `keepMs`) so that a later replay can be checked against the PKCE challenge and answered by
 * revoking the grant it produced (RFC 6749 §4.1.2, OAuth 2.1 §4.1.3).
 */
const CONSUME_CODE = defineStoreScript<ConsumeResult>({
  name: 'rampartOauthConsumeCode',
  lua: `local used = redis.call('GET', KEYS[2])
if used then return {'replayed', used} end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {'ok'}`,
  local: (ctx, [code, used], [grantId, keepMs]) => {
    const previous = ctx.get(used as string);
    if (typeof previous === 'string') return { status: 'replayed', grantId: previous };
    const record = ctx.get(code as string);
    if (record === undefined) return { status: 'missing' };
    ctx.set(used as string, String(grantId), Number(keepMs));
    ctx.set(code as string, record, Number(keepMs));
    return { status: 'ok' };
  },
  parse: (reply) => {
    const [status, grantId] = reply as [string, string | undefined];
    if (status === 'replayed') return { status, grantId: String(grantId) };
    return { status: status === 'ok' ? 'ok' : 'missing' };
  },
});

/**
 * Records an access token (`jti:exp`) under its grant, unless the grant was revoked (then 0).
 * Expired entries are dropped, so the list holds at most one access-token lifetime of tokens.
 */
const GRANT_ADD = defineStoreScript<boolean>({
  name: 'rampartOauthGrantAdd',
  lua: `local v = redis.call('GET', KEYS[1])
if v == '${REVOKED}' then return 0 end
local kept = ''
if v then
  for jti, exp in string.gmatch(v, '([^:;]+):(%d+);') do
    if tonumber(exp) > tonumber(ARGV[3]) then kept = kept .. jti .. ':' .. exp .. ';' end
  end
  redis.call('SET', KEYS[1], kept .. ARGV[1] .. ';', 'KEEPTTL')
else
  redis.call('SET', KEYS[1], ARGV[1] .. ';', 'PX', ARGV[2])
end
return 1`,
  local: (ctx, [key], [entry, ttlMs, nowSeconds]) => {
    const value = ctx.get(key as string) as { list: string; expiresAt: number } | undefined;
    if (value?.list === REVOKED) return false;
    const kept = (value?.list ?? '')
      .split(';')
      .filter((item) => item !== '' && Number(item.split(':')[1]) > Number(nowSeconds))
      .map((item) => `${item};`)
      .join('');
    const expiresAt = value?.expiresAt ?? ctx.now() + Number(ttlMs);
    ctx.set(key as string, { list: `${kept}${String(entry)};`, expiresAt }, Math.max(1, expiresAt - ctx.now()));
    return true;
  },
  parse: (reply) => Number(reply) === 1,
});

/** Revokes a grant: no more tokens for it, its refresh token dead; returns its access tokens. */
const GRANT_REVOKE = defineStoreScript<string>({
  name: 'rampartOauthGrantRevoke',
  lua: `local v = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], '${REVOKED}', 'PX', ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('SET', KEYS[2], '${REVOKED}', 'KEEPTTL') end
if (not v) or v == '${REVOKED}' then return '' end
return v`,
  local: (ctx, [grant, refresh], [ttlMs]) => {
    const value = ctx.get(grant as string) as { list: string } | undefined;
    ctx.set(grant as string, { list: REVOKED, expiresAt: ctx.now() + Number(ttlMs) }, Number(ttlMs));
    const rt = ctx.get(refresh as string) as { current: string; expiresAt: number } | undefined;
    if (rt)
      ctx.set(refresh as string, { current: REVOKED, expiresAt: rt.expiresAt }, Math.max(1, rt.expiresAt - ctx.now()));
    return !value || value.list === REVOKED ? '' : value.list;
  },
  parse: (reply) => (typeof reply === 'string' ? reply : ''),
});

const SET_REFRESH = defineStoreScript<boolean>({
  name: 'rampartOauthSetRefresh',
  lua: `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
  local: (ctx, [key], [hash, ttlMs]) => {
    ctx.set(key as string, { current: String(hash), expiresAt: ctx.now() + Number(ttlMs) }, Number(ttlMs));
    return true;
  },
  parse: () => true,
});

/**
 * Rotates a refresh token. Reuse detection proves the presented token was once real before it
 * punishes anyone (RFC 9700 §4.14.2): each rotated-out token leaves a marker keyed by its hash,
 * `used`, holding when it was rotated. So:
 * - the current token: rotated (`ok`), the next one lives for the idle TTL, never past the
 *   family's absolute end;
 * - a rotated-out token within the grace after its rotation (two tabs refreshing at once):
 *   `grace`, refused, the family survives;
 * - a rotated-out token later: `reuse`, the family is revoked in the same step;
 * - anything else (a forged `<grant id>.<random>`): `unknown`, refused, nothing changes.
 * Without rotation (`next` = the presented token) the current token stays, its idle time restarts
 * and no marker is left: nothing was rotated out, so there is nothing to detect.
 */
const ROTATE_REFRESH = defineStoreScript<RotateResult>({
  name: 'rampartOauthRotateRefresh',
  lua: `local cur = redis.call('GET', KEYS[1])
local used = redis.call('GET', KEYS[2])
local now = tonumber(ARGV[5])
if used then
  if cur == '${REVOKED}' then return 'revoked' end
  if now - tonumber(used) < tonumber(ARGV[6]) then return 'grace' end
  if cur then redis.call('SET', KEYS[1], '${REVOKED}', 'KEEPTTL') end
  return 'reuse'
end
if not cur then return 'missing' end
if cur == '${REVOKED}' then return 'revoked' end
if cur ~= ARGV[1] then return 'unknown' end
local left = tonumber(ARGV[4]) - now
if left <= 0 then return 'missing' end
local idle = math.min(tonumber(ARGV[3]), left)
if ARGV[2] ~= ARGV[1] then redis.call('SET', KEYS[2], ARGV[5], 'PX', left) end
redis.call('SET', KEYS[1], ARGV[2], 'PX', idle)
return 'ok'`,
  local: (ctx, [key, usedKey], [presented, next, idleMs, endsAt, nowMs, graceMs]) => {
    const rt = ctx.get(key as string) as { current: string; expiresAt: number } | undefined;
    const used = ctx.get(usedKey as string) as string | undefined;
    const now = Number(nowMs);
    if (used !== undefined) {
      if (rt?.current === REVOKED) return 'revoked';
      if (now - Number(used) < Number(graceMs)) return 'grace';
      if (rt) ctx.set(key as string, { current: REVOKED, expiresAt: rt.expiresAt }, Math.max(1, rt.expiresAt - now));
      return 'reuse';
    }
    if (!rt) return 'missing';
    if (rt.current === REVOKED) return 'revoked';
    if (rt.current !== presented) return 'unknown';
    const left = Number(endsAt) - now;
    if (left <= 0) return 'missing';
    const idle = Math.min(Number(idleMs), left);
    if (next !== presented) ctx.set(usedKey as string, String(now), left);
    ctx.set(key as string, { current: String(next), expiresAt: now + idle }, idle);
    return 'ok';
  },
  parse: (reply) => String(reply) as RotateResult,
});

const READ_REFRESH = defineStoreScript<string | undefined>({
  name: 'rampartOauthReadRefresh',
  lua: `return redis.call('GET', KEYS[1])`,
  local: (ctx, [key]) => (ctx.get(key as string) as { current: string } | undefined)?.current,
  parse: (reply) => (typeof reply === 'string' ? reply : undefined),
});

/** Access tokens of a revoked grant, parsed from its `jti:exp;` list. */
export interface IssuedToken {
  readonly jti: string;
  readonly exp: number;
}

function parseTokenList(list: string): IssuedToken[] {
  return list
    .split(';')
    .filter((item) => item.includes(':'))
    .map((item) => {
      const [jti = '', exp = '0'] = item.split(':');
      return { jti, exp: Number(exp) };
    });
}

/**
 * All of the authorization server's state, in core's Store: interactions, codes, grants and
 * refresh-token families. A failing Store becomes a 503, never a 500 or a wrong answer.
 */
export class OAuthState {
  private readonly logger = new Logger('OAuthServer');

  constructor(private readonly store: Store) {}

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      // Any failure of a store (an application's own one included) is an outage here: the
      // endpoints answer 503 temporarily_unavailable, never a 500 or a wrong answer.
      this.logger.error(`OAuth state unavailable: ${(error as Error).message}`);
      throw error instanceof StoreUnavailableError ? error : new StoreUnavailableError('oauth state', error);
    }
  }

  private async readJson<T>(key: string): Promise<T | undefined> {
    const json = await this.call(() => this.store.get(key));
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  saveInteraction(id: string, record: InteractionRecord, ttlMs: number): Promise<boolean> {
    return this.call(() => this.store.set(interactionKey(id), JSON.stringify(record), { ttlMs }));
  }

  findInteraction(id: string): Promise<InteractionRecord | undefined> {
    return this.readJson(interactionKey(id));
  }

  /** Removes the interaction; only the caller that gets it back may finish it. */
  async takeInteraction(id: string): Promise<InteractionRecord | undefined> {
    const json = await this.call(() => this.store.take(interactionKey(id)));
    return json === undefined ? undefined : (JSON.parse(json) as InteractionRecord);
  }

  /** A pushed authorization request (RFC 9126), by the hash of its request_uri's random part. */
  savePushedRequest(id: string, record: InteractionRecord, ttlMs: number): Promise<boolean> {
    return this.call(() => this.store.set(pushedKey(tokenHash(id)), JSON.stringify(record), { ttlMs }));
  }

  /** Removes a pushed request: a request_uri is used once (RFC 9126 §4). */
  async takePushedRequest(id: string): Promise<InteractionRecord | undefined> {
    const json = await this.call(() => this.store.take(pushedKey(tokenHash(id))));
    return json === undefined ? undefined : (JSON.parse(json) as InteractionRecord);
  }

  saveCode(code: string, record: CodeRecord, ttlMs: number): Promise<boolean> {
    return this.call(() => this.store.set(codeKey(tokenHash(code)), JSON.stringify(record), { ttlMs }));
  }

  findCode(code: string): Promise<CodeRecord | undefined> {
    return this.readJson(codeKey(tokenHash(code)));
  }

  consumeCode(code: string, grantId: string, keepMs: number): Promise<ConsumeResult> {
    const hash = tokenHash(code);
    return this.call(() => this.store.run(CONSUME_CODE, [codeKey(hash), codeUsedKey(hash)], [grantId, keepMs]));
  }

  /** `refreshTtlMs`: the first refresh token's life (the idle TTL, within the family's end). */
  async createFamily(
    grantId: string,
    record: FamilyRecord,
    refreshToken: string,
    ttlMs: number,
    refreshTtlMs: number,
  ): Promise<void> {
    await this.call(() => this.store.set(familyKey(grantId), JSON.stringify(record), { ttlMs }));
    await this.call(() => this.store.run(SET_REFRESH, [refreshKey(grantId)], [tokenHash(refreshToken), refreshTtlMs]));
  }

  findFamily(grantId: string): Promise<FamilyRecord | undefined> {
    return this.readJson(familyKey(grantId));
  }

  /** The hash of the family's current refresh token, `!` when revoked, undefined when gone. */
  currentRefreshHash(grantId: string): Promise<string | undefined> {
    return this.call(() => this.store.run(READ_REFRESH, [refreshKey(grantId)], []));
  }

  /**
   * See {@link ROTATE_REFRESH}; `endsAt` is the family's absolute end (ms since the epoch). `next`
   * undefined keeps the presented token (a client without rotation).
   */
  rotateRefresh(
    grantId: string,
    presented: string,
    next: string | undefined,
    limits: { idleMs: number; endsAt: number; graceMs: number },
  ): Promise<RotateResult> {
    const hash = tokenHash(presented);
    return this.call(() =>
      this.store.run(
        ROTATE_REFRESH,
        [refreshKey(grantId), usedRefreshKey(grantId, hash)],
        [hash, next === undefined ? hash : tokenHash(next), limits.idleMs, limits.endsAt, Date.now(), limits.graceMs],
      ),
    );
  }

  /** Records an access token of a grant; false when the grant was revoked meanwhile. */
  addToGrant(grantId: string, token: IssuedToken, ttlMs: number): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    return this.call(() => this.store.run(GRANT_ADD, [grantKey(grantId)], [`${token.jti}:${token.exp}`, ttlMs, now]));
  }

  /** Revokes a grant and its refresh-token family; returns the access tokens issued from it. */
  async revokeGrant(grantId: string, ttlMs: number): Promise<IssuedToken[]> {
    const list = await this.call(() => this.store.run(GRANT_REVOKE, [grantKey(grantId), refreshKey(grantId)], [ttlMs]));
    return parseTokenList(list);
  }
}
