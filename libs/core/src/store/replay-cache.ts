import { createHash } from 'node:crypto';
import type { Store } from './store';

/**
 * "Seen once" memory for one-time values in the shared Store: webhook message ids, DPoP proof
 * `jti`s, client-assertion `jti`s. The id is hashed (a client chooses it: no unbounded or
 * control-character key reaches the Store), and the first sighting is claimed with SET NX PX, so of
 * two instances given the same value at once exactly one accepts it. A Store failure propagates
 * (`StoreUnavailableError`): callers fail closed, no replay slips through during an outage.
 * @publicApi
 * @example
 * const seen = new ReplayCache(store, 'dpop:jti:');
 * if (!(await seen.claim(`${jkt}:${jti}`, 300_000))) throw new Error('replayed');
 */
export class ReplayCache {
  constructor(
    private readonly store: Store,
    /** Key prefix naming what is remembered, e.g. `dpop:jti:`. */
    private readonly namespace: string,
  ) {}

  /** The Store key that remembers `id`. */
  keyOf(id: string): string {
    return `${this.namespace}${createHash('sha256').update(id).digest('base64url')}`;
  }

  /** Whether this is the first sighting of `id` within `ttlMs` (it is remembered that long). */
  async claim(id: string, ttlMs: number): Promise<boolean> {
    return this.store.set(this.keyOf(id), '1', { ttlMs: Math.max(1, Math.ceil(ttlMs)), ifAbsent: true });
  }

  /** Forgets `id`, so a retry of something that failed after its claim is accepted. */
  async forget(id: string): Promise<void> {
    await this.store.delete(this.keyOf(id));
  }
}
