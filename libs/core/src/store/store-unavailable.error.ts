import { ServiceUnavailableException } from '@nestjs/common';

/**
 * Seconds a client is asked to wait after a store outage (`Retry-After`): about how long the Redis
 * client takes to reconnect (its back-off tops out at 2 s), with a margin.
 */
export const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * The store did not answer: the connection is down, a command timed out, the server is loading,
 * read-only or out of memory. Thrown by `RedisStore` for every operation, so each caller (a lib,
 * the app's own code) meets one type, and every route that needs the store answers
 * `503 Service Unavailable` with `Retry-After` instead of a 500 (RFC 9110 §15.6.4). It is a Nest
 * `HttpException`, so even without Rampart's error filter it renders as a 503.
 * A bug (a Lua error, a wrong key type) is not an outage and is not wrapped.
 * @publicApi
 * @example
 * catch (error) { if (error instanceof StoreUnavailableError) return fallback; throw error; }
 */
export class StoreUnavailableError extends ServiceUnavailableException {
  readonly code = 'STORE_UNAVAILABLE';
  readonly retryAfterSeconds = STORE_RETRY_AFTER_SECONDS;

  constructor(operation: string, cause: unknown) {
    super(`The store did not answer (${operation}): ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Redis replies that mean "not now" rather than "wrong command": the server is loading its data,
 * busy with a script, a replica (after a failover), out of memory, or the cluster is reconfiguring.
 */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|OOM|NOREPLICAS|MISCONF)\b/;

/** Whether a Redis client error means the store is unavailable (rather than a programming error). */
export function isOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  // ioredis' ReplyError is an answer from a working server; every other error (connection closed,
  // stream not writeable, command timed out, cluster all-failed) means no answer came.
  if (error.name !== 'ReplyError') return true;
  return UNAVAILABLE_REPLIES.test(error.message);
}
