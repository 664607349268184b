import type { RateLimitAlgorithm, RateLimitStorage, ResolvedTier } from '@rampart/rate-limit';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestFramework } from './test-framework';

/**
 * A resolved tier, as a storage receives it from the guard.
 * @publicApi
 * @example
 * await storage.decide('key', [resolvedTier('minute', 100, 60_000, 'sliding-window')], 1);
 */
export function resolvedTier(
  name: string,
  limit: number,
  windowMs: number,
  algorithm: RateLimitAlgorithm,
  blockForMs = 0,
): ResolvedTier {
  return Object.freeze({ name, limit, windowMs, blockForMs, algorithm });
}

const ALGORITHMS: readonly RateLimitAlgorithm[] = ['sliding-log', 'sliding-window', 'token-bucket'];

/**
 * The semantics every rate-limit storage must have, run against the in-memory store, the real
 * Redis and yours, so a Lua script and its TypeScript twin cannot drift apart.
 * @publicApi
 * @example
 * import { beforeAll, describe, expect, it } from 'vitest';
 * describeRateLimitStorage({ describe, it, expect, beforeAll, afterAll }, 'mine', async () => new MyStorage());
 */
export function describeRateLimitStorage(
  { describe, it, expect, beforeAll }: TestFramework,
  name: string,
  createStorage: () => Promise<RateLimitStorage>,
): void {
  describe(`RateLimitStorage contract: ${name}`, () => {
    let storage: RateLimitStorage;
    beforeAll(async () => {
      storage = await createStorage();
    });
    const fresh = (): string => randomUUID();

    for (const algorithm of ALGORITHMS)
      describe(algorithm, () => {
        it('admits exactly the limit under concurrency', async () => {
          // An hour-long window: token refill (one per 36 s) and window boundaries stay out of the test.
          const tiers = [resolvedTier('hour', 100, 3_600_000, algorithm)];
          const key = fresh();
          const decisions = await Promise.all(Array.from({ length: 400 }, () => storage.decide(key, tiers, 1)));
          expect(decisions.filter((d) => d.admitted)).toHaveLength(100);
          const denied = decisions.find((d) => !d.admitted)!;
          expect(denied.limitedBy?.name).toBe('hour');
          expect(denied.limitedBy?.remaining).toBe(0);
          expect(denied.limitedBy?.resetMs).toBeGreaterThan(0);
        });

        it('reports the remaining quota and a reset within the window', async () => {
          const tiers = [resolvedTier('t', 3, 10_000, algorithm)];
          const key = fresh();
          const first = await storage.decide(key, tiers, 1);
          expect(first.admitted).toBe(true);
          expect(first.tiers[0]).toMatchObject({ name: 't', limit: 3, windowMs: 10_000, remaining: 2, denied: false });
          expect(first.tiers[0]!.resetMs).toBeGreaterThan(0);
          expect(first.tiers[0]!.resetMs).toBeLessThanOrEqual(20_000);
          await storage.decide(key, tiers, 1);
          const third = await storage.decide(key, tiers, 1);
          expect(third.tiers[0]!.remaining).toBe(0);
          const fourth = await storage.decide(key, tiers, 1);
          expect(fourth.admitted).toBe(false);
          expect(fourth.limitedBy).toMatchObject({ name: 't', remaining: 0, denied: true });
        });

        it('records nothing for a denied request: it costs no tier anything', async () => {
          // Two tiers: the small one denies, the big one must not have been charged.
          const tiers = [resolvedTier('big', 50, 60_000, algorithm), resolvedTier('small', 3, 60_000, algorithm)];
          const key = fresh();
          for (let i = 0; i < 3; i++) expect((await storage.decide(key, tiers, 1)).admitted).toBe(true);
          for (let i = 0; i < 30; i++) {
            const denied = await storage.decide(key, tiers, 1);
            expect(denied.admitted).toBe(false);
            expect(denied.limitedBy?.name).toBe('small');
            expect(denied.tiers[0]!.remaining).toBe(47);
          }
        });

        it('leaves no trace of denied requests', async () => {
          // Keys `a` and `b` spend their quota together, then `a` alone is refused 50 times. Were the
          // refusals recorded, `a` would have to wait longer than `b` and would get less afterwards.
          // The refusals go in one burst and the window is 2 s (a token every 400 ms): a lagging
          // machine does not see quota come back before they are all decided.
          const tiers = [resolvedTier('t', 5, 2_000, algorithm)];
          const [a, b] = [fresh(), fresh()];
          await Promise.all(
            Array.from({ length: 5 }, () => Promise.all([storage.decide(a, tiers, 1), storage.decide(b, tiers, 1)])),
          );
          const refused = await Promise.all(Array.from({ length: 50 }, () => storage.decide(a, tiers, 1)));
          expect(refused.filter((d) => d.admitted)).toHaveLength(0);
          const [da, db] = await Promise.all([storage.decide(a, tiers, 1), storage.decide(b, tiers, 1)]);
          expect(da.admitted || db.admitted).toBe(false);
          expect(da.tiers[0]!.remaining).toBe(db.tiers[0]!.remaining);
          expect(Math.abs(da.limitedBy!.resetMs - db.limitedBy!.resetMs)).toBeLessThanOrEqual(50);
          await sleep(Math.max(da.limitedBy!.resetMs, db.limitedBy!.resetMs) + 20);
          const afterwards = async (key: string): Promise<number> => {
            let admitted = 0;
            for (let i = 0; i < 8; i++) if ((await storage.decide(key, tiers, 1)).admitted) admitted++;
            return admitted;
          };
          const [admittedA, admittedB] = await Promise.all([afterwards(a), afterwards(b)]);
          expect(admittedA).toBe(admittedB);
          expect(admittedA).toBeGreaterThanOrEqual(1);
        });

        it('charges the cost, and denies a request that costs more than is left without charging it', async () => {
          const tiers = [resolvedTier('t', 5, 60_000, algorithm)];
          const key = fresh();
          const first = await storage.decide(key, tiers, 3);
          expect(first.admitted).toBe(true);
          expect(first.tiers[0]!.remaining).toBe(2);
          const second = await storage.decide(key, tiers, 3);
          expect(second.admitted).toBe(false);
          expect(second.tiers[0]!.remaining).toBe(2);
          expect((await storage.decide(key, tiers, 2)).admitted).toBe(true);
        });

        it('blocks for blockFor after a tier is exceeded, then admits again', async () => {
          // The three first decisions must fall in one window: 500 ms leaves a lagging machine room.
          const tiers = [resolvedTier('login', 2, 500, algorithm, 1_500)];
          const key = fresh();
          expect((await storage.decide(key, tiers, 1)).admitted).toBe(true);
          expect((await storage.decide(key, tiers, 1)).admitted).toBe(true);
          const exceeded = await storage.decide(key, tiers, 1);
          expect(exceeded.admitted).toBe(false);
          expect(exceeded.limitedBy!.resetMs).toBeGreaterThan(1_400);
          await sleep(600); // the window alone would admit again by now
          const blocked = await storage.decide(key, tiers, 1);
          expect(blocked.admitted).toBe(false);
          expect(blocked.limitedBy!.resetMs).toBeLessThanOrEqual(900);
          await sleep(blocked.limitedBy!.resetMs + 50);
          expect((await storage.decide(key, tiers, 1)).admitted).toBe(true);
        });
      });

    it('mixes algorithms across the tiers of one decision', async () => {
      const tiers = [resolvedTier('burst', 2, 60_000, 'token-bucket'), resolvedTier('exact', 3, 60_000, 'sliding-log')];
      const key = fresh();
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await storage.decide(key, tiers, 1));
      expect(results.map((d) => d.admitted)).toEqual([true, true, false, false]);
      expect(results[2]!.limitedBy?.name).toBe('burst');
      expect(results[2]!.tiers[1]!.remaining).toBe(1);
    });

    it('refills a token bucket at limit/window', async () => {
      const tiers = [resolvedTier('rate', 10, 1_000, 'token-bucket')];
      const key = fresh();
      const started = Date.now();
      const burst = await Promise.all(Array.from({ length: 20 }, () => storage.decide(key, tiers, 1)));
      // The full bucket, plus at most what refilled while a lagging machine sent the burst.
      const refilledBy = () => Math.floor((Date.now() - started) / 100); // one token every 100 ms
      const burstAdmitted = burst.filter((d) => d.admitted).length;
      expect(burstAdmitted).toBeGreaterThanOrEqual(10);
      expect(burstAdmitted).toBeLessThanOrEqual(10 + refilledBy());
      const denied = burst.find((d) => !d.admitted)!;
      expect(denied.limitedBy!.resetMs).toBeLessThanOrEqual(100);
      await sleep(330);
      const later = await Promise.all(Array.from({ length: 10 }, () => storage.decide(key, tiers, 1)));
      const admitted = later.filter((d) => d.admitted).length;
      expect(admitted).toBeGreaterThanOrEqual(3);
      // Never more than the bucket plus what refilled since it was full (a lagging machine sleeps longer than asked).
      expect(burstAdmitted + admitted).toBeLessThanOrEqual(10 + refilledBy());
    });
  });
}
