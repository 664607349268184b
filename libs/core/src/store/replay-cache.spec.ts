import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory.store';
import { ReplayCache } from './replay-cache';

describe('ReplayCache', () => {
  it('accepts a value once, per namespace, and again once forgotten', async () => {
    const store = new MemoryStore();
    const seen = new ReplayCache(store, 'test:jti:');
    expect(await seen.claim('a', 60_000)).toBe(true);
    expect(await seen.claim('a', 60_000)).toBe(false);
    expect(await new ReplayCache(store, 'other:').claim('a', 60_000)).toBe(true);
    await seen.forget('a');
    expect(await seen.claim('a', 60_000)).toBe(true);
    await store.close();
  });

  it('keeps client-chosen ids out of the keys (hashed, fixed length)', () => {
    const seen = new ReplayCache(new MemoryStore(), 'ns:');
    const key = seen.keyOf(`${'x'.repeat(10_000)}\r\n*`);
    expect(key).toMatch(/^ns:[A-Za-z0-9_-]{43}$/);
  });
});
