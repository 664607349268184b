import { describe, expect, it } from 'vitest';
import { StoreDeadlineExceededError, StoreLiveness } from './store-liveness';

/** Holds the event loop, as a CPU-heavy request does. */
function block(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('StoreLiveness', () => {
  it('abandons a call when the store answers nothing at all', async () => {
    const liveness = new StoreLiveness(10);
    await expect(liveness.watch(new Promise(() => undefined))).rejects.toBeInstanceOf(StoreDeadlineExceededError);
  });

  it('does not mistake a blocked event loop for a silent store: a reply that arrived meanwhile wins', async () => {
    const liveness = new StoreLiveness(10);
    // The reply is ready (queued for the check phase) before the loop is held far past the deadline;
    // a plain timer would fire first in the next turn and fail the call.
    const watched = liveness.watch(new Promise<string>((resolve) => setImmediate(() => resolve('banned'))));
    block(100);
    await expect(watched).resolves.toBe('banned');
  });

  it('lets a call wait past the deadline while the store keeps answering others (busy, not down)', async () => {
    const liveness = new StoreLiveness(10);
    let answer!: (value: string) => void;
    const slow = liveness.watch(new Promise<string>((resolve) => (answer = resolve)));
    // Other calls keep completing for five deadlines.
    for (let i = 0; i < 10; i++) {
      await liveness.watch(new Promise((resolve) => setTimeout(resolve, 5)));
    }
    answer('late');
    await expect(slow).resolves.toBe('late');
  });

  it('passes the store’s own errors through', async () => {
    const liveness = new StoreLiveness(10);
    await expect(liveness.watch(Promise.reject(new Error('OOM')))).rejects.toThrow('OOM');
  });

  it('refuses a deadline that is not a positive whole number', () => {
    expect(() => new StoreLiveness(0)).toThrow(RangeError);
    expect(() => new StoreLiveness(1.5)).toThrow(RangeError);
  });
});
