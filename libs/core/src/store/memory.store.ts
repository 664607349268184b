import { LRUCache } from 'lru-cache';
import {
  assertTtl,
  type LocalScriptContext,
  type Store,
  type StoreScript,
  type StoreSetOptions,
  type StoreIncrementOptions,
  type StoreListener,
} from './store';
import { securityStateOf } from './security-state';
import { StoreUnavailableError } from './store-unavailable.error';

export interface MemoryStoreOptions {
  /**
   * The most keys held at once; the least recently used key is evicted beyond it. Keys come from
   * client input (IPs, user ids, tokens), so the bound is what keeps a flood from exhausting memory.
   * @default 100_000
   */
  capacity?: number;
  /**
   * The most keys of each kind of security state (bans, blocks, revocations, one-time codes: see
   * `declareSecurityState`), each kind in a partition of its own that counters cannot evict. A full
   * partition refuses new state of its kind (`StoreUnavailableError`) and never drops old state
   * before it expires.
   * @default 100_000
   */
  securityStateCapacity?: number;
}

/** Values read back as Redis would return them: strings (counters are numbers in memory). */
function asString(value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

interface Entry {
  value: unknown;
}

/** A partition of security state: never evicts; a full one refuses new keys. */
class Partition {
  readonly cache: LRUCache<string, Entry>;
  private purgedAt = 0;

  constructor(
    readonly name: string,
    private readonly capacity: number,
  ) {
    // `max` one above the capacity, which `admit` never lets it reach: the LRU never evicts here.
    this.cache = new LRUCache<string, Entry>({ max: capacity + 1, ttlAutopurge: false, perf: Date });
  }

  /** Throws when `key` is new and the partition is full of unexpired state. */
  admit(key: string): void {
    if (this.cache.size < this.capacity || this.cache.has(key)) return;
    // Expired entries count until read; sweep them, at most once a second (O(n)), before refusing.
    const now = Date.now();
    if (now - this.purgedAt >= 1000) {
      this.purgedAt = now;
      this.cache.purgeStale();
      if (this.cache.size < this.capacity) return;
    }
    throw new StoreUnavailableError(
      'set',
      new Error(`the memory store's "${this.name}" partition is full (${this.capacity} keys in force)`),
    );
  }
}

/**
 * The in-memory store: one process only, bounded in size (LRU) and in time (per-key TTL, checked
 * lazily on read, so no timer keeps the process alive). Security state (see `declareSecurityState`)
 * lives in bounded partitions of its own that counters cannot evict.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  private readonly cache: LRUCache<string, Entry>;
  private readonly partitions = new Map<string, Partition>();
  private readonly securityStateCapacity: number;
  private readonly context: LocalScriptContext;
  private readonly channels = new Map<string, Set<StoreListener>>();

  constructor(options: MemoryStoreOptions = {}) {
    const capacity = options.capacity ?? 100_000;
    const securityStateCapacity = options.securityStateCapacity ?? 100_000;
    for (const [name, value] of [
      ['capacity', capacity],
      ['securityStateCapacity', securityStateCapacity],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`MemoryStore ${name} must be a positive whole number, got ${value}.`);
      }
    }
    this.securityStateCapacity = securityStateCapacity;
    this.cache = new LRUCache<string, Entry>({ max: capacity, ttlAutopurge: false, perf: Date });
    this.context = {
      now: () => Date.now(),
      get: (key) => this.cacheOf(key).get(key)?.value,
      set: (key, value, ttlMs) => {
        assertTtl(ttlMs);
        this.writable(key).set(key, { value }, { ttl: ttlMs });
      },
      delete: (key) => {
        this.cacheOf(key).delete(key);
      },
    };
  }

  /** The cache holding `key`: its security-state partition, or the shared LRU for counters. */
  private cacheOf(key: string): LRUCache<string, Entry> {
    return this.partitionOf(key)?.cache ?? this.cache;
  }

  private partitionOf(key: string): Partition | undefined {
    const name = securityStateOf(key);
    if (name === undefined) return undefined;
    let partition = this.partitions.get(name);
    if (!partition) this.partitions.set(name, (partition = new Partition(name, this.securityStateCapacity)));
    return partition;
  }

  /** The cache to write `key` to; throws when it is security state and its partition is full. */
  private writable(key: string): LRUCache<string, Entry> {
    const partition = this.partitionOf(key);
    if (!partition) return this.cache;
    partition.admit(key);
    return partition.cache;
  }

  /** How many keys are held now (expired keys may count until they are read or evicted). */
  get size(): number {
    let size = this.cache.size;
    for (const partition of this.partitions.values()) size += partition.cache.size;
    return size;
  }

  async get(key: string): Promise<string | undefined> {
    return asString(this.cacheOf(key).get(key)?.value);
  }

  async set(key: string, value: string, { ttlMs, ifAbsent = false }: StoreSetOptions): Promise<boolean> {
    assertTtl(ttlMs);
    const cache = this.writable(key);
    if (ifAbsent && cache.has(key)) return false;
    cache.set(key, { value }, { ttl: ttlMs });
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return this.cacheOf(key).delete(key);
  }

  async increment(key: string, { ttlMs, by = 1 }: StoreIncrementOptions): Promise<number> {
    assertTtl(ttlMs);
    const cache = this.writable(key);
    const entry = cache.get(key);
    const next = Number(entry?.value ?? 0) + by;
    // An existing key keeps its expiry, as Redis INCR does.
    cache.set(key, { value: next }, entry ? { noUpdateTTL: true } : { ttl: ttlMs });
    return next;
  }

  async take(key: string): Promise<string | undefined> {
    // Read and delete with no await between them: that is what makes it atomic.
    const cache = this.cacheOf(key);
    const value = cache.get(key)?.value;
    cache.delete(key);
    return asString(value);
  }

  async run<R>(script: StoreScript<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R> {
    return script.local(this.context, keys, args);
  }

  subscribe(channel: string, listener: StoreListener): () => void {
    let listeners = this.channels.get(channel);
    if (!listeners) this.channels.set(channel, (listeners = new Set()));
    listeners.add(listener);
    // One process: every message is delivered, from the start.
    listener.state(true);
    return () => listeners.delete(listener);
  }

  async publish(channel: string, message: string): Promise<void> {
    for (const listener of [...(this.channels.get(channel) ?? [])]) listener.message(message);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.cache.clear();
    for (const partition of this.partitions.values()) partition.cache.clear();
  }
}
