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
 * Tokens remembered as not revoked, per store. Only verified tokens reach the check, so only their
 * issuer can fill it; it is bounded all the same (the least recently used goes first).
 */
const NOT_REVOKED_CAPACITY = 10_000;

/**
 * What the lists on one store remember, and their one subscription. Shared because one application
 * holds several lists on its store (`AuthModule`'s guard and `OAuthServerModule`'s revocation
 * endpoint each have one): a revocation through any of them must be refused by all at once, not
 * when the notice comes back from the store.
 */
interface Memory {
  readonly notRevoked: LRUCache<string, true>;
  /** Whether the subscription is confirmed: only then is anything remembered. */
  confirmed: boolean;
  /** Bumped by every notice and change of subscription: a read that saw it change remembers nothing. */
  generation: number;
  /** The lists using it: the subscription ends with the last. */
  users: number;
  unsubscribe: (() => void) | undefined;
}

const memories = new WeakMap<Store, Memory>();

function acquireMemory(store: Store): Memory {
  const shared = memories.get(store);
  if (shared) {
    shared.users++;
    return shared;
  }
  const memory: Memory = {
    notRevoked: new LRUCache<string, true>({ max: NOT_REVOKED_CAPACITY }),
    confirmed: false,
    generation: 0,
    users: 1,
    unsubscribe: undefined,
  };
  memories.set(store, memory);
  memory.unsubscribe = store.subscribe?.(TOKEN_REVOCATION_CHANNEL, {
    message: (jti) => {
      memory.generation++;
      memory.notRevoked.delete(jti);
    },
    state: (confirmed) => {
      memory.generation++;
      memory.confirmed = confirmed;
      memory.notRevoked.clear();
    },
  });
  return memory;
}

function releaseMemory(store: Store, memory: Memory): void {
  if (--memory.users > 0) return;
  memory.unsubscribe?.();
  memories.delete(store);
}

/**
 * The access-token revocation list, in the core Store so every instance sees it. An entry lives
 * only until the token expires: after that `exp` refuses the token anyway, so the list stays small.
 *
 * The process remembers the tokens it found not revoked (one memory per store, shared by every
 * list on it), so a token is read from the store once, not on every request. A revocation made
 * here forgets the token at once; one made by another instance, as soon as its notice arrives
 * (store pub/sub, published by {@link revoke} after the write). It remembers only while its
 * subscription is confirmed: a subscription not yet confirmed, lost or silent (a PING each second)
 * forgets them all and every check reads the store again, so a revocation is never missed because
 * a notice was. A check that started before a notice, a revocation or a change of subscription
 * does not remember its answer (the revocation may have overtaken the read). A store without
 * pub/sub reads every time.
 * @publicApi
 * @example
 * await revocations.revoke(claims.jti, claims.exp);
 */
@Injectable()
export class TokenRevocationList implements OnModuleDestroy {
  private readonly store: Store;
  private readonly memory: Memory;
  private released = false;

  constructor(@Optional() @Inject(RAMPART_STORE) store?: Store) {
    if (!store) throw coreMissing('AuthModule');
    this.store = store;
    this.memory = acquireMemory(store);
  }

  onModuleDestroy(): void {
    if (this.released) return;
    this.released = true;
    releaseMemory(this.store, this.memory);
  }

  /**
   * Revokes `jti` until `expiresAt` (seconds since the epoch, the token's `exp`), then tells every
   * instance. Rejects when either fails: the caller must retry (the OAuth revocation endpoint
   * answers 503), since an instance that missed the notice would still accept the token.
   */
  async revoke(jti: string, expiresAt: number): Promise<void> {
    const ttlMs = Math.max(1, Math.ceil(expiresAt * 1000 - Date.now()) + GRACE_MS);
    await this.store.set(revokedJtiKey(jti), '1', { ttlMs });
    this.memory.generation++;
    this.memory.notRevoked.delete(jti);
    await this.store.publish?.(TOKEN_REVOCATION_CHANNEL, jti);
  }

  /**
   * Whether `jti` was revoked. A store error propagates: the guard then refuses the request
   * (fail closed), since it cannot tell a revoked token from a good one.
   */
  async isRevoked(jti: string): Promise<boolean> {
    const memory = this.memory;
    if (memory.confirmed && memory.notRevoked.get(jti)) return false;
    const generation = memory.generation;
    const revoked = (await this.store.get(revokedJtiKey(jti))) !== undefined;
    if (!revoked && memory.confirmed && generation === memory.generation) memory.notRevoked.set(jti, true);
    return revoked;
  }
}
