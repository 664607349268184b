import { LRUCache } from 'lru-cache';
import {
  assertTtl,
  type LocalScriptContext,
  type Store,
  type StoreScript,
  type StoreSetOptions,
  type StoreIncrementOptions,
} from './store';

export interface MemoryStoreOptions {
  /**
   * The most keys held at once; the least recently used key is evicted beyond it. Keys come from
   * client input (IPs, user ids, tokens), so the bound is what keeps a flood from exhausting memory.
   * @default 100_000
   */
  capacity?: number;
}

/** Values read back as Redis would return them: strings (counters are numbers in memory). */
function asString(value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

interface Entry {
  value: unknown;
}

/**
 * The in-memory store: one process only, bounded in size (LRU) and in time (per-key TTL, checked
 * lazily on read, so no timer keeps the process alive).
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  private readonly cache: LRUCache<string, Entry>;
  private readonly context: LocalScriptContext;

  constructor(options: MemoryStoreOptions = {}) {
    const capacity = options.capacity ?? 100_000;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`MemoryStore capacity must be a positive whole number, got ${capacity}.`);
    }
    this.cache = new LRUCache<string, Entry>({ max: capacity, ttlAutopurge: false, perf: Date });
    this.context = {
      now: () => Date.now(),
      get: (key) => this.cache.get(key)?.value,
      set: (key, value, ttlMs) => {
        assertTtl(ttlMs);
        this.cache.set(key, { value }, { ttl: ttlMs });
      },
      delete: (key) => {
        this.cache.delete(key);
      },
    };
  }

  /** How many keys are held now (expired keys may count until they are read or evicted). */
  get size(): number {
    return this.cache.size;
  }

  async get(key: string): Promise<string | undefined> {
    return asString(this.cache.get(key)?.value);
  }

  async set(key: string, value: string, { ttlMs, ifAbsent = false }: StoreSetOptions): Promise<boolean> {
    assertTtl(ttlMs);
    if (ifAbsent && this.cache.has(key)) return false;
    this.cache.set(key, { value }, { ttl: ttlMs });
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return this.cache.delete(key);
  }

  async increment(key: string, { ttlMs, by = 1 }: StoreIncrementOptions): Promise<number> {
    assertTtl(ttlMs);
    const entry = this.cache.get(key);
    const next = Number(entry?.value ?? 0) + by;
    // An existing key keeps its expiry, as Redis INCR does.
    this.cache.set(key, { value: next }, entry ? { noUpdateTTL: true } : { ttl: ttlMs });
    return next;
  }

  async take(key: string): Promise<string | undefined> {
    // Read and delete with no await between them: that is what makes it atomic.
    const value = this.cache.get(key)?.value;
    this.cache.delete(key);
    return asString(value);
  }

  async run<R>(script: StoreScript<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R> {
    return script.local(this.context, keys, args);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.cache.clear();
  }
}
