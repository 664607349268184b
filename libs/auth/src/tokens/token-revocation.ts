import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { coreMissing } from '../core-missing';
import { declareSecurityState, RAMPART_STORE, type Store } from '@rampart/core';
import { LRUCache } from 'lru-cache';

/**
 * Store key of a revoked access token: `auth:revoked-jti:<jti>`, value `1`, expiring when the
 * token would have. Public API shared with the OAuth server (and any other process that revokes).
 * @publicApi
 */
export function revokedJtiKey(jti: string): string {
  return `auth:revoked-jti:${jti}`;
}

// A revocation is security state: a flood of counters must not evict it and revive the token.
declareSecurityState('auth-revocations', (key) => key.startsWith('auth:revoked-jti:'));

/** Kept a little past `exp`, so a token accepted within the clock tolerance is still refused. */
const GRACE_MS = 60_000;

/**
 * Store channel of revocation notices (prefixed like the keys): each message is a revoked `jti`.
 * Public API: a process that writes {@link revokedJtiKey} itself must publish the `jti` here after
 * the write, or instances that remember the token as not revoked keep accepting it.
 * @publicApi
 */
export const TOKEN_REVOCATION_CHANNEL = 'auth:revoked-jti';

/**
 * Tokens remembered as not revoked, per instance. Only verified tokens reach the check, so only
 * their issuer can fill it; it is bounded all the same (the least recently used goes first).
 */
const NOT_REVOKED_CAPACITY = 10_000;

/**
 * The access-token revocation list, in the core Store so every instance sees it. An entry lives
 * only until the token expires: after that `exp` refuses the token anyway, so the list stays small.
 *
 * Each instance remembers the tokens it found not revoked, so a token is read from the store once,
 * not on every request, and forgets one as soon as a revocation notice names it (store pub/sub,
 * published by {@link revoke} after the write). It remembers only while its subscription is
 * confirmed: a subscription not yet confirmed, lost or silent (a PING each second) forgets them
 * all and every check reads the store again, so a revocation is never missed because a notice
 * was. A check that started before a notice or a change of subscription does not remember its
 * answer (the notice may have overtaken the read). A store without pub/sub reads every time.
 * @publicApi
 * @example
 * await revocations.revoke(claims.jti, claims.exp);
 */
@Injectable()
export class TokenRevocationList implements OnModuleDestroy {
  private readonly store: Store;
  private readonly notRevoked = new LRUCache<string, true>({ max: NOT_REVOKED_CAPACITY });
  private confirmed = false;
  /** Bumped by every notice and change of subscription: a read that saw it change remembers nothing. */
  private generation = 0;
  private readonly unsubscribe: (() => void) | undefined;

  constructor(@Optional() @Inject(RAMPART_STORE) store?: Store) {
    if (!store) throw coreMissing('AuthModule');
    this.store = store;
    this.unsubscribe = store.subscribe?.(TOKEN_REVOCATION_CHANNEL, {
      message: (jti) => {
        this.generation++;
        this.notRevoked.delete(jti);
      },
      state: (confirmed) => {
        this.generation++;
        this.confirmed = confirmed;
        this.notRevoked.clear();
      },
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /**
   * Revokes `jti` until `expiresAt` (seconds since the epoch, the token's `exp`), then tells every
   * instance. Rejects when either fails: the caller must retry (the OAuth revocation endpoint
   * answers 503), since an instance that missed the notice would still accept the token.
   */
  async revoke(jti: string, expiresAt: number): Promise<void> {
    const ttlMs = Math.max(1, Math.ceil(expiresAt * 1000 - Date.now()) + GRACE_MS);
    await this.store.set(revokedJtiKey(jti), '1', { ttlMs });
    this.generation++;
    this.notRevoked.delete(jti);
    await this.store.publish?.(TOKEN_REVOCATION_CHANNEL, jti);
  }

  /**
   * Whether `jti` was revoked. A store error propagates: the guard then refuses the request
   * (fail closed), since it cannot tell a revoked token from a good one.
   */
  async isRevoked(jti: string): Promise<boolean> {
    if (this.confirmed && this.notRevoked.get(jti)) return false;
    const generation = this.generation;
    const revoked = (await this.store.get(revokedJtiKey(jti))) !== undefined;
    if (!revoked && this.confirmed && generation === this.generation) this.notRevoked.set(jti, true);
    return revoked;
  }
}
