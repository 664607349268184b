import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory.store';

describe('MemoryStore', () => {
  it('holds at most its capacity under a flood of distinct keys', async () => {
    const store = new MemoryStore({ capacity: 10_000 });
    for (let i = 0; i < 100_000; i++) await store.increment(`ip:${i}`, { ttlMs: 60_000 });
    expect(store.size).toBe(10_000);
    // The most recent keys survive, the oldest were evicted.
    expect(await store.get('ip:99999')).toBe('1');
    expect(await store.get('ip:0')).toBeUndefined();
  });

  it('refuses a capacity that would not bound memory', () => {
    expect(() => new MemoryStore({ capacity: 0 })).toThrow(RangeError);
    expect(() => new MemoryStore({ capacity: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });
});
