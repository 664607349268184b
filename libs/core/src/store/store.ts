/**
 * Shared state for Rampart's libs: rate-limit counters, one-time codes, token families, bans.
 * Every key has a TTL, so nothing a client causes to be written lives forever.
 */
export interface Store {
  /** `memory` (this process only) or `redis` (shared by every instance). */
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  /** Writes `value`; with `ifAbsent`, only when the key does not exist. Resolves to whether it wrote. */
  set(key: string, value: string, options: StoreSetOptions): Promise<boolean>;
  /** Resolves to whether a key was removed. */
  delete(key: string): Promise<boolean>;
  /** Adds `by` (default 1) atomically; a new key starts at 0 and expires after `ttlMs`. */
  increment(key: string, options: StoreIncrementOptions): Promise<number>;
  /** Reads and removes a key atomically: of concurrent callers, exactly one gets the value. */
  take(key: string): Promise<string | undefined>;
  /** Runs `script` atomically: as Lua on Redis (one round trip), as `script.local` in memory. */
  run<R>(script: StoreScript<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R>;
  /**
   * Listens to `channel` on every instance sharing the store (Redis pub/sub; in memory, this
   * process). Optional: without it, a lib that caches what the store said must read it instead.
   * Returns a function that stops listening.
   */
  subscribe?(channel: string, listener: StoreListener): () => void;
  /** Sends `message` to the listeners of `channel` on every instance (with {@link subscribe}). */
  publish?(channel: string, message: string): Promise<void>;
  /** Checks the store answers; rejects when it does not. */
  ping(): Promise<void>;
  /** Releases what the store opened (timers, a Redis connection it created). */
  close(): Promise<void>;
}

/** Receives a channel's messages ({@link Store.subscribe}). */
export interface StoreListener {
  message(message: string): void;
  /**
   * `true` once the server has confirmed the subscription: every message published from then on
   * is delivered. `false` as soon as messages may be missed (connection lost or silent): whatever
   * was learnt from the channel's silence is then to be forgotten. Each change is reported.
   */
  state(confirmed: boolean): void;
}

export interface StoreSetOptions {
  ttlMs: number;
  ifAbsent?: boolean;
}

export interface StoreIncrementOptions {
  ttlMs: number;
  by?: number;
}

/** What a script's in-memory twin may do: synchronous, so it runs atomically on the event loop. */
export interface LocalScriptContext {
  /** Milliseconds since the epoch (Redis scripts read `TIME` instead). */
  now(): number;
  get(key: string): unknown;
  set(key: string, value: unknown, ttlMs: number): void;
  delete(key: string): void;
}

/**
 * An atomic operation with two implementations of the same semantics: `lua` for Redis and
 * `local` for the in-memory store. Keys passed to `run` are prefixed by the store; Lua sees them
 * in KEYS, arguments in ARGV.
 */
export interface StoreScript<R> {
  readonly name: string;
  readonly lua: string;
  local(context: LocalScriptContext, keys: readonly string[], args: readonly (string | number)[]): R;
  /** Turns the Lua reply into `R` (Redis has no floats, booleans or maps). */
  parse(reply: unknown): R;
}

/** Every script declared in this process, by name: a spec checks each keeps its keys in one cluster slot. */
const declaredScripts = new Map<string, StoreScript<unknown>>();

/** Declares a store script. `name` must be unique: it names the command registered on Redis. */
export function defineStoreScript<R>(script: StoreScript<R>): StoreScript<R> {
  if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(script.name)) {
    throw new Error(`Store script name "${script.name}" must be alphanumeric: it becomes a Redis client command.`);
  }
  const frozen = Object.freeze({ ...script });
  declaredScripts.set(script.name, frozen);
  return frozen;
}

/** The scripts declared so far (not exported from the package: for Rampart's own specs). */
export function declaredStoreScripts(): readonly StoreScript<unknown>[] {
  return [...declaredScripts.values()];
}

export function assertTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`A store TTL must be a positive whole number of milliseconds, got ${ttlMs}.`);
  }
}
