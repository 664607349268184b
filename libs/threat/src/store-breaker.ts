import { StoreLiveness } from '@rampart/core';

/**
 * A circuit breaker with a deadline in front of the store, for the calls on the request path.
 *
 * Threat detection is defence in depth: when the store hangs, a request must not wait for the
 * store's command timeout, and during an outage requests must not each wait for the deadline.
 * - closed: calls go to the store, each watched by core's StoreLiveness: abandoned only when the
 *   store has answered nothing for `deadlineMs` (and a short grace), so a saturated event loop is
 *   not mistaken for a slow store — a ban lookup that "failed open" under load alone would let a
 *   banned client in exactly when it floods;
 * - a failure or a missed deadline opens it: calls are skipped (their fallback is used at once)
 *   for `cooldownMs`;
 * - then one call probes the store; success closes it, failure opens it for another cool-down.
 * One warning per outage, one notice on recovery.
 */
export class StoreBreaker {
  private outage = false;
  private openUntil = 0;
  private probing = false;
  private readonly liveness: StoreLiveness;

  constructor(
    deadlineMs: number,
    private readonly cooldownMs: number,
    private readonly onOutage: (error: unknown) => void,
    private readonly onRecovery: () => void,
  ) {
    this.liveness = new StoreLiveness(deadlineMs);
  }

  /** Counts an answer of the store seen off the request path (a behaviour observation that completed). */
  recordAnswer(): void {
    this.liveness.recordAnswer();
  }

  /**
   * Runs `call` unless the breaker is open; resolves to its result, or to `fallback` when the
   * breaker is open, the call fails or the deadline passes first. Never rejects.
   */
  run<T>(call: () => Promise<T>, fallback: T): Promise<T> {
    if (this.outage) {
      if (this.probing || Date.now() < this.openUntil) return Promise.resolve(fallback);
      this.probing = true;
    }
    return this.liveness.watch(call()).then(
      (value) => {
        this.success();
        return value;
      },
      (error: unknown) => {
        this.failure(error);
        return fallback;
      },
    );
  }

  /** Records a failure seen anywhere (a ban write, an observation): opens the breaker. */
  failure(error: unknown): void {
    this.probing = false;
    this.openUntil = Date.now() + this.cooldownMs;
    if (this.outage) return;
    this.outage = true;
    this.onOutage(error);
  }

  private success(): void {
    this.probing = false;
    if (!this.outage) return;
    this.outage = false;
    this.onRecovery();
  }
}

interface BanCacheEntry<T> {
  /** Epoch ms after which the entry is looked up again. */
  expires: number;
  value: T | undefined;
}

/**
 * The last answer of the store about each client's ban, for `ttlMs`: one store lookup per
 * client per `ttlMs` instead of one per request. Bounded: the oldest entry goes when full
 * (clients are attacker-chosen). A ban set or lifted by this instance is written through, so it
 * applies at once here; one set by another instance applies here within `ttlMs`.
 */
export class BanCache<T> {
  private readonly entries = new Map<string, BanCacheEntry<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The cached entry, if fresh. */
  get(client: string, now: number): BanCacheEntry<T> | undefined {
    if (this.ttlMs <= 0) return undefined;
    const entry = this.entries.get(client);
    if (entry === undefined) return undefined;
    if (entry.expires > now) return entry;
    this.entries.delete(client);
    return undefined;
  }

  /** Starts a lookup: an entry that a local ban/unban can replace while the lookup runs. */
  set(client: string, value: T | undefined, now: number): BanCacheEntry<T> {
    const entry = { expires: now + this.ttlMs, value };
    if (this.ttlMs <= 0) return entry;
    this.entries.delete(client);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(client, entry);
    return entry;
  }

  /** Whether `entry` is still the client's current entry (no local ban/unban replaced it). */
  isCurrent(client: string, entry: BanCacheEntry<T>): boolean {
    return this.entries.get(client) === entry;
  }
}
