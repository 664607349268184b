import { Inject, Injectable, Optional } from '@nestjs/common';
import { coreMissing } from '../core-missing';
import { declareSecurityState, RAMPART_STORE, type Store } from '@rampart/core';

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
 * The access-token revocation list, in the core Store so every instance sees it. An entry lives
 * only until the token expires: after that `exp` refuses the token anyway, so the list stays small.
 * @publicApi
 * @example
 * await revocations.revoke(claims.jti, claims.exp);
 */
@Injectable()
export class TokenRevocationList {
  private readonly store: Store;

  constructor(@Optional() @Inject(RAMPART_STORE) store?: Store) {
    if (!store) throw coreMissing('AuthModule');
    this.store = store;
  }

  /** Revokes `jti` until `expiresAt` (seconds since the epoch, the token's `exp`). */
  async revoke(jti: string, expiresAt: number): Promise<void> {
    const ttlMs = Math.max(1, Math.ceil(expiresAt * 1000 - Date.now()) + GRACE_MS);
    await this.store.set(revokedJtiKey(jti), '1', { ttlMs });
  }

  /**
   * Whether `jti` was revoked. A store error propagates: the guard then refuses the request
   * (fail closed), since it cannot tell a revoked token from a good one.
   */
  async isRevoked(jti: string): Promise<boolean> {
    return (await this.store.get(revokedJtiKey(jti))) !== undefined;
  }
}
