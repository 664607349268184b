import { MemoryStore } from '@rampart/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolvedTier as tier } from '@rampart/testing';
import { StoreRateLimitStorage } from './store-rate-limit.storage';

describe('StoreRateLimitStorage in memory, on a controlled clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const at = (ms: number): void => {
    vi.setSystemTime(ms);
  };

  it('weights the previous window by the time left of it (sliding-window)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const storage = new StoreRateLimitStorage(new MemoryStore());
    const tiers = [tier('minute', 100, 60_000, 'sliding-window')];
    // The full quota in the last second of a window…
    at(60_000 * 1000 + 59_000);
    let admitted = 0;
    for (let i = 0; i < 150; i++) if ((await storage.decide('k', tiers, 1)).admitted) admitted++;
    expect(admitted).toBe(100);
    // …and a burst one second later, at 1/60 of the next window: 100 × (1 − 1/60) = 98.3 counted.
    at(60_000 * 1001 + 1_000);
    admitted = 0;
    for (let i = 0; i < 150; i++) if ((await storage.decide('k', tiers, 1)).admitted) admitted++;
    expect(admitted).toBe(1);
    // Half-way through the next window half of the previous one still counts.
    at(60_000 * 1001 + 30_000);
    admitted = 0;
    for (let i = 0; i < 150; i++) if ((await storage.decide('k', tiers, 1)).admitted) admitted++;
    expect(admitted).toBe(49); // 100 − 50 − 1 already admitted
  });

  it('keeps within limit × (1 + Δ/window) in any span Δ around a boundary (sliding-window)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const storage = new StoreRateLimitStorage(new MemoryStore());
    const tiers = [tier('minute', 100, 60_000, 'sliding-window')];
    const boundary = 60_000 * 2000;
    const admittedAt: number[] = [];
    // One attempt every 100 ms from 2 s before the boundary to 10 s after it.
    for (let t = boundary - 2_000; t <= boundary + 10_000; t += 100) {
      at(t);
      for (let i = 0; i < 20; i++) if ((await storage.decide('k', tiers, 1)).admitted) admittedAt.push(t);
    }
    for (const start of admittedAt) {
      for (const span of [1_000, 5_000, 10_000]) {
        const inSpan = admittedAt.filter((t) => t >= start && t <= start + span).length;
        expect(inSpan).toBeLessThanOrEqual(100 * (1 + span / 60_000));
      }
    }
  });

  it('never admits more than the limit in any window (sliding-log)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const storage = new StoreRateLimitStorage(new MemoryStore());
    const tiers = [tier('minute', 100, 60_000, 'sliding-log')];
    const admittedAt: number[] = [];
    for (let t = 5_000_000; t <= 5_000_000 + 130_000; t += 500) {
      at(t);
      for (let i = 0; i < 5; i++) if ((await storage.decide('k', tiers, 1)).admitted) admittedAt.push(t);
    }
    for (const start of admittedAt) {
      expect(admittedAt.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(100);
    }
    expect(admittedAt.length).toBeGreaterThanOrEqual(200); // and it does admit again as entries age out
  });

  it('stays bounded under a flood of distinct keys', async () => {
    const store = new MemoryStore({ capacity: 1_000 });
    const storage = new StoreRateLimitStorage(store);
    const tiers = [tier('minute', 10, 60_000, 'sliding-window'), tier('day', 100, 86_400_000, 'sliding-window')];
    for (let i = 0; i < 20_000; i++) await storage.decide(`ip:10.0.${i >> 8}.${i & 255}`, tiers, 1);
    expect(store.size).toBeLessThanOrEqual(1_000);
  });
});
