/** A store call abandoned because the store answered nothing at all for the deadline and a grace. */
export class StoreDeadlineExceededError extends Error {
  constructor(readonly waitedMs: number) {
    super(`no answer within ${waitedMs} ms`);
    this.name = 'StoreDeadlineExceededError';
  }
}

/**
 * A deadline that measures the store, not this process' event loop. A call is abandoned when the
 * store has answered nothing at all — no call watched by this instance settled — for `deadlineMs`
 * and then for a grace of `min(deadlineMs, 25)` ms: a hung or unreachable store costs a call
 * `deadlineMs + 25` ms plus timer slack. A call queued behind a burst, on a store that keeps
 * answering, waits for its own answer (bounded by the store's command timeout).
 *
 * Why not a plain timer: when the event loop is saturated (a flood of CPU-heavy requests), a timer
 * fires late, after replies that have already arrived wait unread in the socket, and a healthy
 * store looks down. A lib whose deadline then "fails open" (a ban lookup letting a banned client
 * through) would be defeated by load alone. Answers are counted rather than timed, and judged in
 * `setImmediate` (after the I/O poll has read replies that already arrived).
 *
 * Used by rate-limit's outage policy and threat's ban lookups: one instance per lib and store, so
 * every answer of that store counts as evidence it is alive.
 * @publicApi
 * @example
 * const liveness = new StoreLiveness(40);
 * const ban = await liveness.watch(store.get('ban:203.0.113.7')).catch(() => lastKnownBan);
 */
export class StoreLiveness {
  /** Calls the store has answered (resolved or rejected with a reply): evidence that it is alive, if busy. */
  private answers = 0;
  private readonly graceMs: number;

  constructor(readonly deadlineMs: number) {
    if (!Number.isSafeInteger(deadlineMs) || deadlineMs < 1) {
      throw new RangeError(`A store deadline must be a positive whole number of milliseconds, got ${deadlineMs}.`);
    }
    this.graceMs = Math.min(deadlineMs, 25);
  }

  /** Counts an answer of the store seen outside {@link watch} (a background write that completed). */
  recordAnswer(): void {
    this.answers++;
  }

  /**
   * Settles as `promise` does, or rejects with {@link StoreDeadlineExceededError} once the store has
   * been silent for the deadline and the grace. Never leaves a timer behind.
   */
  watch<T>(promise: Promise<T>): Promise<T> {
    const sentAt = Date.now();
    let answersSeen = this.answers;
    let silentIntervals = 0;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const judge = (): void => {
        if (settled) return;
        if (this.answers > answersSeen) {
          answersSeen = this.answers;
          silentIntervals = 0;
        } else if (++silentIntervals >= 2) {
          settled = true;
          reject(new StoreDeadlineExceededError(Date.now() - sentAt));
          return;
        }
        timer = setTimeout(onTimer, silentIntervals === 0 ? this.deadlineMs : this.graceMs);
      };
      const onTimer = (): void => {
        setImmediate(judge);
      };
      let timer = setTimeout(onTimer, this.deadlineMs);
      promise.then(
        (value) => {
          this.answers++;
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}
